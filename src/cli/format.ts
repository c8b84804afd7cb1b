/** Pure renderers of command results for people (the --json flag prints the objects as is). */
import type { InstallResult } from './install';
import type { StatusReport } from './status';
import type { UpgradeResult } from './upgrade';

export function formatInstall(result: InstallResult): string {
  const lines: string[] = [];
  if (result.extensionDir) lines.push(`copied the extension files into ${result.extensionDir}`);
  if (result.outcome === 'installed') {
    lines.push(`installed chronicle ${result.version}`);
  } else {
    lines.push(`chronicle ${result.version} is already installed; nothing to do`);
    if (result.upgradeAvailable) lines.push(`version ${result.upgradeAvailable} is available: run \`pg-chronicle upgrade\``);
  }
  return lines.join('\n');
}

export function formatUpgrade(result: UpgradeResult): string {
  if (result.outcome === 'up-to-date') return `chronicle ${result.from} is already at ${result.to}; nothing to do`;
  const lines = [`chronicle ${result.from} -> ${result.to}`];
  const n = result.captures.regenerated;
  if (n > 0) lines.push(`capture functions generated again: ${n} audited table${n === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** Warnings for stderr: tables whose capture function the upgrade left as it was. */
export function formatUpgradeWarnings(result: UpgradeResult): string[] {
  return result.captures.failures.map((f) =>
    `warning: the capture function of ${f.table} was left as it was (it keeps logging): ${f.message}; ` +
    `once that is fixed, run chronicle.sync_table_structure on the table`);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} ${units[unit]}` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    `database:           ${report.database} (PostgreSQL ${report.serverVersion})`,
    `installed version:  ${report.installed ?? 'not installed'}`,
    `default version:    ${report.defaultVersion ?? 'none (extension files not installed on this server)'}`,
    `available versions: ${report.available.length > 0 ? report.available.join(', ') : 'none'}`,
  ];
  if (report.installed === null) return lines.join('\n');
  if (report.auditedTables === null) {
    lines.push(`audited tables:     (version ${report.installed} keeps no audit catalog)`);
  } else {
    lines.push(`audited tables:     ${report.auditedTables.length}`);
    for (const t of report.auditedTables) lines.push(`  ${t.table}`);
  }
  if (report.ddlCaptureEnabled !== null) {
    lines.push(report.ddlCaptureEnabled
      ? 'DDL capture:        on'
      : `DDL capture:        off (inactive event triggers: ${report.inactiveEventTriggers.join(', ')}; install or update the extension as a superuser)`);
  }
  if (report.logTables.length === 0) {
    lines.push('log tables:         none in this version');
  } else {
    const total = report.logTables.reduce((sum, t) => sum + t.bytes, 0);
    lines.push(`log tables:         ${formatBytes(total)} in all`);
    for (const t of report.logTables) lines.push(`  ${t.table}: ~${t.rows} rows, ${formatBytes(t.bytes)}`);
  }
  return lines.join('\n');
}
