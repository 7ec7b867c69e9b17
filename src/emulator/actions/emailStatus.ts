/** Email status reasons (email table reference, https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/email). */
export const EMAIL_SENT = 3;
export const EMAIL_PENDING_SEND = 6;
