import { type Delivery, parseDelivery, type ResponseHop, type ServerRequestRelay } from '../mcp/serverRequests.js';
import type { InstanceMailbox } from '../sessions/instanceMailbox.js';
import { type LegacyStreams, STREAM_MESSAGE } from './sseStreams.js';

/** The mailbox kind of a client's answer to a server→client request asked by another instance. */
const ANSWER = 'answer';

/** The relay's way across instances: each instance's Storage Queue (the mailbox). */
export class QueueHop implements ResponseHop {
  constructor(private readonly mailbox: InstanceMailbox) {}

  send(instance: string, delivery: Delivery): Promise<boolean> {
    return this.mailbox.send(instance, ANSWER, delivery);
  }

  hold(): Promise<() => void> {
    return this.mailbox.hold();
  }
}

/** Hands what peers post to this instance to whoever waits for it: the relay (answers) or a local stream. */
export function receiveFromPeers(mailbox: InstanceMailbox, relay: ServerRequestRelay, streams: LegacyStreams): void {
  mailbox.onMessage((message) => {
    if (message.kind === ANSWER) {
      const delivery = parseDelivery(message.body);
      if (delivery) relay.accept(delivery);
    } else if (message.kind === STREAM_MESSAGE) {
      streams.receive(message);
    }
  });
}
