import type { QueueServiceClient } from '@azure/storage-queue';

/**
 * A queue service whose every message is enqueued twice: at-least-once delivery as a retried send
 * after a lost acknowledgement produces it, on the real queue (Azurite), not a stand-in.
 */
export function duplicatingQueues(service: QueueServiceClient): { service: QueueServiceClient; duplicates(): number } {
  let duplicates = 0;
  const bound = <T extends object>(target: T, property: string | symbol): unknown => {
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  };
  const wrapped = new Proxy(service, {
    get(target, property) {
      if (property !== 'getQueueClient') return bound(target, property);
      return (name: string) => {
        const queue = target.getQueueClient(name);
        return new Proxy(queue, {
          get(q, p) {
            if (p !== 'sendMessage') return bound(q, p);
            // The copy goes in first: by the time the sender moves on, both are in the queue.
            return async (...args: Parameters<typeof queue.sendMessage>) => {
              await q.sendMessage(...args);
              duplicates++;
              return q.sendMessage(...args);
            };
          },
        });
      };
    },
  });
  return { service: wrapped, duplicates: () => duplicates };
}
