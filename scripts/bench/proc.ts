import { readFileSync } from 'node:fs';

/**
 * Resource figures of a process from Linux's /proc: resident memory (`VmRSS`) and CPU time (user +
 * system, in clock ticks of 1/100 s, the kernel's USER_HZ on Linux). A sampler polls them each
 * second and keeps the peak RSS.
 */
export interface ProcSample {
  rssBytes: number;
  cpuSeconds: number;
}

export function sample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    // Fields after the command name (which may contain spaces) start at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: rssKb * 1024, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}

export class Sampler {
  peakRss = 0;
  private first: ProcSample | undefined;
  private last: ProcSample | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  private tick(): void {
    const s = sample(this.pid);
    if (!s) return;
    this.first ??= s;
    this.last = s;
    this.peakRss = Math.max(this.peakRss, s.rssBytes);
  }

  /** CPU seconds used since the sampler started, and the peak RSS seen. */
  stop(): { cpuSeconds: number; peakRssBytes: number } {
    this.tick();
    clearInterval(this.timer);
    return {
      cpuSeconds: (this.last?.cpuSeconds ?? 0) - (this.first?.cpuSeconds ?? 0),
      peakRssBytes: this.peakRss,
    };
  }
}
