/** The generator's only writer: puts files in place and removes stale ones. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratedFile } from './types';

/** Writes each file (through a temporary name, so a reader never sees half a file). */
export function writeFiles(root: string, files: GeneratedFile[]): void {
  for (const file of files) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    const temporary = `${target}.tmp-${process.pid}`;
    writeFileSync(temporary, file.text, 'utf8');
    renameSync(temporary, target);
  }
}

export function removeFiles(root: string, paths: string[]): void {
  for (const path of paths) rmSync(join(root, path), { force: true });
}
