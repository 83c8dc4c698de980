/**
 * Builds what the benchmark runs and drives its child processes: compiles the library the way
 * it ships (`tsc -p tsconfig.build.json` into `dist/`), transpiles the child scripts to plain
 * JavaScript (so no TypeScript loader sits in their memory), runs one-shot children (the cold
 * start) and talks to long-lived measuring children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import type { ChildCommand } from './harness.js';

/**
 * Scheduling weight for the measuring processes: `null` leaves them as they are. A number
 * (-20 to 19, lower is more CPU) starts each child in a session of its own and sets that
 * session's Linux autogroup nice value, so other work on a shared machine takes less of the
 * benchmark's CPU. Needs root for negative values; it never touches other processes.
 */
export interface Priority {
  nice: number | null;
}

/** Applies `priority` to a freshly spawned child; a refusal is reported, never fatal. */
function prioritise(child: ChildProcess, priority: Priority): void {
  if (priority.nice === null || child.pid === undefined) return;
  try {
    writeFileSync(`/proc/${child.pid}/autogroup`, String(priority.nice));
  } catch (error) {
    process.stderr.write(`bench: could not set the autogroup nice value: ${String(error)}\n`);
  }
}

/** Output of a finished child process. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  wallMs: number;
}

/** Runs `node <script> <args>` to completion, capturing its output; kills it after `timeoutMs`. */
export function runNode(
  script: string,
  args: string[],
  timeoutMs: number,
  priority: Priority = { nice: null },
): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      detached: priority.nice !== null,
    });
    prioritise(child, priority);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - start }),
    );
  });
}

/** The JSON a child printed last, or an error saying why there is none. */
export function parseChildJson<T>(exit: ChildExit, what: string): T {
  const lines = exit.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (exit.code === 0 && last.startsWith('{')) return JSON.parse(last) as T;
  const why = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  const detail = exit.stderr.trim().split('\n').slice(0, 6).join('\n') || exit.stdout.trim();
  throw new Error(`${what} failed (${why}): ${detail}`);
}

/**
 * A measuring child kept alive across a case: the parent sends it one command at a time and
 * reads one JSON line back, so two sides' runs can be interleaved.
 */
export class ChildSession {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private stderr = '';
  private exited = false;

  constructor(
    script: string,
    args: string[],
    private readonly what: string,
    private readonly timeoutMs: number,
    priority: Priority = { nice: null },
  ) {
    this.child = spawn(process.execPath, [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: priority.nice !== null,
    });
    prioritise(this.child, priority);
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    const reader = createInterface({ input: this.child.stdout as NodeJS.ReadableStream });
    reader.on('line', (line) => this.deliver(line));
    this.child.on('close', () => {
      this.exited = true;
      this.deliver(null);
    });
    this.child.on('error', (error) => {
      this.stderr += String(error);
      this.exited = true;
      this.deliver(null);
    });
  }

  private deliver(line: string | null): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(line);
    } else if (line !== null) {
      this.lines.push(line);
    }
  }

  private nextLine(): Promise<string | null> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        this.stderr += `\nno answer within ${this.timeoutMs} ms`;
      }, this.timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  /** Waits for the child's next JSON line; an exit or a timeout becomes an error with stderr. */
  async read<T>(): Promise<T> {
    const line = await this.nextLine();
    if (line === null) {
      const detail = this.stderr.trim().split('\n').slice(0, 8).join('\n');
      throw new Error(`${this.what} failed: ${detail || 'the process exited without an answer'}`);
    }
    return JSON.parse(line) as T;
  }

  /** Sends one command and returns the child's answer. */
  async send<T>(command: ChildCommand): Promise<T> {
    this.child.stdin?.write(`${command}\n`);
    return this.read<T>();
  }

  /** Kills the child if it is still running (after a failure on the other side, say). */
  dispose(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/**
 * Compiles the library into `dist/` with the project's build config. Type errors do not stop
 * the benchmark (tsc still emits); they are returned so the caller can say so.
 */
export async function buildLibrary(root: string): Promise<{ ok: boolean; output: string }> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const exit = await runNode(tsc, ['-p', join(root, 'tsconfig.build.json')], 300_000);
  return { ok: exit.code === 0, output: `${exit.stdout}${exit.stderr}`.trim() };
}

/** The child scripts, transpiled one file at a time (they import only each other and packages). */
const CHILD_SOURCES = [
  'harness.ts',
  'sharp-job.ts',
  'child-ours.ts',
  'child-sharp.ts',
  'child-cold.ts',
  'child-encode.ts',
];

/** Transpiles the child scripts from `benchDir` into `outDir` and returns their paths by name. */
export async function buildChildren(
  benchDir: string,
  outDir: string,
): Promise<{ ours: string; sharp: string; cold: string; encode: string }> {
  await mkdir(outDir, { recursive: true });
  for (const file of CHILD_SOURCES) {
    const source = await readFile(join(benchDir, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    await writeFile(join(outDir, file.replace(/\.ts$/, '.js')), outputText);
  }
  // A package.json of its own makes Node treat the transpiled files as ES modules.
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return {
    ours: join(outDir, 'child-ours.js'),
    sharp: join(outDir, 'child-sharp.js'),
    cold: join(outDir, 'child-cold.js'),
    encode: join(outDir, 'child-encode.js'),
  };
}
