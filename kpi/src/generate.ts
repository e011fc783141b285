// Writes every file generated from the contract (@paywatch/contract) and the alert definitions:
//   npm run generate -w @paywatch/kpi                 (re)write them
//   npm run generate -w @paywatch/kpi -- --check      exit 1 when a committed file is stale
//   ... -- --runbook-base-url=https://git.example.com/paywatch/blob/main/docs/runbooks
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { committedAlertmanagerYaml } from './alertmanager.ts';
import { ALERTS } from './alerts.ts';
import { metricsDoc } from './metrics-doc.ts';
import { withAggregateMetrics } from './policy-aggregate.ts';
import { alertingBlocks, runbookIndex, withBlocks } from './runbook-index.ts';
import { withThresholdTable } from './runbook-tables.ts';
import { blackboxConfigYaml, prometheusConfigYaml } from './prometheus-config.ts';
import { postgresExporterQueriesYaml } from './postgres-exporter.ts';
import { ruleFiles, type RuleOptions } from './rules.ts';
import { ruleTestFiles } from './rule-tests.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Generated files by path relative to the repository root. */
export function generatedFiles(options: RuleOptions = {}, root = repoRoot): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(ruleFiles(options))) files[`prometheus/rules/${name}`] = content;
  for (const [name, content] of Object.entries(ruleTestFiles())) files[`prometheus/tests/${name}`] = content;
  files['prometheus/prometheus.yml'] = prometheusConfigYaml();
  files['prometheus/blackbox.yml'] = blackboxConfigYaml();
  files['prometheus/postgres-exporter.yml'] = postgresExporterQueriesYaml();
  files['prometheus/alertmanager.yml'] = committedAlertmanagerYaml();
  files['docs/metrics.md'] = metricsDoc();
  files['policy/policy.yml'] = withAggregateMetrics(readFileSync(join(root, 'policy/policy.yml'), 'utf8'));
  files['docs/runbooks/README.md'] = runbookIndex();
  files['docs/alerting.md'] = withBlocks(readFileSync(join(root, 'docs/alerting.md'), 'utf8'), 'docs/alerting.md', alertingBlocks());
  for (const alert of ALERTS) {
    const path = `docs/runbooks/${alert.name}.md`;
    // A missing runbook is the runbook test's failure to report, not the generator's to invent.
    if (existsSync(join(root, path))) files[path] = withThresholdTable(readFileSync(join(root, path), 'utf8'), alert);
  }
  return files;
}

/** Paths (relative to the root) whose committed content differs from what the generator makes. */
export function staleFiles(root = repoRoot, options: RuleOptions = {}): string[] {
  return Object.entries(generatedFiles(options, root))
    .filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== content)
    .map(([path]) => path);
}

function main(args: string[]) {
  const check = args.includes('--check');
  const base = args
    .find((a) => a.startsWith('--runbook-base-url='))
    ?.split('=')
    .slice(1)
    .join('=');
  const options: RuleOptions = base ? { runbookBaseUrl: base } : {};
  if (check) {
    const stale = staleFiles(repoRoot, options);
    if (stale.length) {
      console.error(`stale generated files (run \`npm run generate -w @paywatch/kpi\`):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log('generated files are up to date');
    return;
  }
  for (const [path, content] of Object.entries(generatedFiles(options))) {
    const full = join(repoRoot, path);
    mkdirSync(dirname(full), { recursive: true });
    if (existsSync(full) && readFileSync(full, 'utf8') === content) continue;
    writeFileSync(full, content);
    console.log(`wrote ${relative(repoRoot, full)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
