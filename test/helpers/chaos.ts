import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What `npm run chaos` prints on its `CHAOS_RESULT` line (scripts/chaos.ts). */
export interface ChaosResult {
  syncs: number;
  present: number;
  lost: number;
  duplicates: number;
  wrongUsage: number;
  unmapped: number;
  failedRuns: number;
  runningRuns: number;
  faultsInjected: { zuora: Record<string, number>; togai: Record<string, number> };
  workerKills: number;
  serverRestarts: number;
}

const CHAOS = fileURLToPath(new URL('../../scripts/chaos.js', import.meta.url));

/** Runs the chaos script as `npm run chaos` does, with `args`; its output and parsed result. */
export async function runChaos(
  args: string[],
): Promise<{ code: number | null; output: string; result?: ChaosResult }> {
  const proc = spawn(process.execPath, [CHAOS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-200_000)));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  const line = output.split('\n').find((l) => l.startsWith('CHAOS_RESULT '));
  return {
    code,
    output,
    ...(line !== undefined && { result: JSON.parse(line.slice('CHAOS_RESULT '.length)) as ChaosResult }),
  };
}
