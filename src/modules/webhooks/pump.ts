/**
 * Runs `work` now, or once more right after the current run when kicked during it; never two at
 * once in this process. The same shape as the correlation engine's drain loop.
 */
export class Pump {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the current run, if any; no run starts after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
