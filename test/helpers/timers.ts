import type { StreamTimers } from '../../src/http/sseStreams.js';

interface Task {
  kind: 'every' | 'after';
  ms: number;
  fn: () => void;
  live: boolean;
}

/**
 * Stream timers a test drives by hand: nothing fires until the test says so, so what it asserts
 * never depends on how long anything took.
 */
export class ManualTimers implements StreamTimers {
  private readonly tasks: Task[] = [];

  every(ms: number, fn: () => void): () => void {
    return this.add({ kind: 'every', ms, fn, live: true });
  }

  after(ms: number, fn: () => void): () => void {
    return this.add({ kind: 'after', ms, fn, live: true });
  }

  /** Live tasks of that kind (and interval); for `every`, scheduled repeats still count as one. */
  pending(kind: Task['kind'], ms?: number): number {
    return this.live(kind, ms).length;
  }

  /** Runs each live task of that kind once (an `after` task is then spent); returns how many ran. */
  fire(kind: Task['kind'], ms?: number): number {
    const due = this.live(kind, ms);
    for (const task of due) {
      if (kind === 'after') task.live = false;
      task.fn();
    }
    return due.length;
  }

  private live(kind: Task['kind'], ms: number | undefined): Task[] {
    return this.tasks.filter((t) => t.live && t.kind === kind && (ms === undefined || t.ms === ms));
  }

  private add(task: Task): () => void {
    this.tasks.push(task);
    return () => {
      task.live = false;
    };
  }
}
