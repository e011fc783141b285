// A one-line progress bar on a terminal; on anything else (CI logs, tests) a plain line every
// 10 % so logs stay readable.
export class ProgressBar {
  private lastDecile = -1;
  private readonly started = Date.now();
  private readonly tty: boolean;

  constructor(
    private readonly title: string,
    private readonly stream: NodeJS.WriteStream | undefined = process.stderr,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {
    this.tty = !!stream?.isTTY;
  }

  update(fraction: number, detail = '') {
    const f = Math.max(0, Math.min(1, fraction));
    if (this.tty && this.stream) {
      const width = 30;
      const filled = Math.round(f * width);
      this.stream.write(
        `\r${this.title} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${detail}\x1b[K`,
      );
      return;
    }
    const decile = Math.floor(f * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.log(`${this.title}: ${decile * 10}% ${detail}`);
    }
  }

  finish(detail = '') {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.tty && this.stream) this.stream.write(`\r${this.title} [${'#'.repeat(30)}] 100% ${detail} (${seconds} s)\x1b[K\n`);
    else this.log(`${this.title}: done ${detail} (${seconds} s)`);
  }
}
