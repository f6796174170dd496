interface Waiting<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: unknown) => void;
}

/** Most calls one group takes from the queue. */
const MAX_GROUP = 1_000;

/**
 * Groups calls that arrive together into one store call: every call made while the
 * previous group was in flight goes into the next. An HTTP server answering many
 * `POST /api/jobs` at once inserts their jobs in one transaction, so a commit (and on
 * PostgreSQL its WAL flush) is shared, and reads them back in one query. A call alone
 * waits one event-loop turn more than it would have. Each caller's promise settles
 * after its group's store call did: an acknowledged enqueue is as durable as before.
 *
 * `run` answers a list of inputs with one output each, in order. If a group fails, its
 * calls are run one by one, so that one caller's failure is not another's.
 */
export class Grouped<In, Out> {
  private readonly run: (inputs: In[]) => Promise<Out[]>;
  private queue: Waiting<In, Out>[] = [];
  private running = false;

  constructor(run: (inputs: In[]) => Promise<Out[]>) {
    this.run = run;
  }

  call(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      try {
        const outputs = await this.run(group.map((w) => w.input));
        for (let k = 0; k < group.length; k++) group[k]!.resolve(outputs[k]!);
      } catch (error) {
        if (group.length === 1) group[0]!.reject(error);
        else await Promise.all(group.map((w) => this.alone(w)));
      }
    }
    this.running = false;
  }

  private async alone(w: Waiting<In, Out>): Promise<void> {
    try {
      const [output] = await this.run([w.input]);
      w.resolve(output!);
    } catch (error) {
      w.reject(error);
    }
  }
}
