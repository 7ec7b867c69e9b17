import { type Delivery, parseDelivery, type ResponseHop, type ServerRequestRelay } from '../mcp/serverRequests.js';
import type { InstanceMailbox } from '../sessions/instanceMailbox.js';
import { CANCEL_MESSAGE, type LegacyStreams, STREAM_MESSAGE } from './sseStreams.js';

/** The mailbox kind of a client's answer to a server→client request asked by another instance. */
const ANSWER = 'answer';

/** The relay's way across instances: each instance's Storage Queue (the mailbox). */
export class QueueHop implements ResponseHop {
  constructor(private readonly mailbox: InstanceMailbox) {}

  send(instance: string, delivery: Delivery): Promise<boolean> {
    // Bound to the session in the signature: a signed answer cannot be replayed into another session.
    return this.mailbox.send(instance, ANSWER, delivery, undefined, delivery.sessionId);
  }

  hold(): Promise<() => void> {
    return this.mailbox.hold();
  }
}

/**
 * Hands what peers post to this instance to whoever waits for it: the relay (answers), a local
 * stream, or a request running here (a cancellation). The mailbox has checked each message's
 * signature, addressee and expiry; the session it was signed for must be the one its body names.
 */
export function receiveFromPeers(mailbox: InstanceMailbox, relay: ServerRequestRelay, streams: LegacyStreams): void {
  mailbox.onMessage((message) => {
    if (message.kind === ANSWER) {
      const delivery = parseDelivery(message.body);
      if (delivery && delivery.sessionId === message.session) relay.accept(delivery);
    } else if (message.kind === STREAM_MESSAGE) {
      streams.receive(message);
    } else if (message.kind === CANCEL_MESSAGE) {
      streams.receiveCancel(message);
    }
  });
}
