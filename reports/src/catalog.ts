// The reports there are, what each one reads, and who may have it. The scope proxy enforces
// every number; this decides beforehand whether a person's scope covers the whole report, so
// nobody receives a fleet report computed over their one branch, or a branch report with the
// branch's numbers missing, that would look complete.
import { branchDaily } from './branch-daily.ts';
import { ReportRefused, type WhoAmI } from './client.ts';
import { scopeText, type ReportContext } from './context.ts';
import type { ReportDocument } from './document.ts';
import { executiveDaily } from './executive-daily.ts';
import { financeReconciliation } from './finance-reconciliation.ts';

export const REPORT_NAMES = ['executive-daily', 'branch-daily', 'finance-reconciliation'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export interface ReportDefinition {
  title: string;
  /** What it covers, for refusals and the usage text. */
  covers: string;
  build(ctx: ReportContext, subject: string): Promise<Pick<ReportDocument, 'sections' | 'notes'>>;
}

export const REPORTS: Record<ReportName, ReportDefinition> = {
  'executive-daily': {
    title: 'Executive daily report',
    covers: 'the whole fleet (revenue, KPIs, incidents, every branch ranked)',
    build: (ctx) => executiveDaily(ctx),
  },
  'branch-daily': {
    title: 'Branch daily report',
    covers: "one branch's collections, officers, reconciliations and failures",
    build: (ctx, branch) => branchDaily(ctx, branch),
  },
  'finance-reconciliation': {
    title: 'Finance reconciliation report',
    covers: 'reconciliations, revenue and failures across all branches',
    build: (ctx) => financeReconciliation(ctx),
  },
};

export const ALL_BRANCHES = 'all branches';

export function reportName(name: string): ReportName {
  if ((REPORT_NAMES as readonly string[]).includes(name)) return name as ReportName;
  throw new Error(`unknown report ${JSON.stringify(name)}: choose one of ${REPORT_NAMES.join(', ')}`);
}

/**
 * The subjects (one report each) this person gets of a report: ["all branches"] for the fleet
 * reports, their branches for branch-daily. Throws ReportRefused when their scope cannot see it.
 */
export function subjectsFor(name: ReportName, who: WhoAmI, branch?: string): string[] {
  const refuse = (why: string) =>
    new ReportRefused(
      `${who.login} (${who.role}, sees ${scopeText(who)}) cannot have the ${name} report: it covers ${REPORTS[name].covers}, and ${why}.`,
    );
  const { scope } = who;
  if (name !== 'branch-daily') {
    if (scope.kind !== 'all')
      throw refuse(
        scope.kind === 'branch'
          ? 'their scope is only part of the fleet (branch-daily is the report for their branches)'
          : 'their scope does not include every branch',
      );
    if (branch) throw new Error(`--branch applies to branch-daily only`);
    return [ALL_BRANCHES];
  }
  switch (scope.kind) {
    case 'branch': {
      if (!branch) return [...scope.branches];
      if (!scope.branches.includes(branch)) throw refuse(`${branch} is not one of their branches`);
      return [branch];
    }
    case 'all':
      if (!branch) throw new Error(`${who.login} sees every branch: name the one to report on with --branch BRxxxx`);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(branch)) throw new Error(`--branch: not a branch code: ${JSON.stringify(branch)}`);
      return [branch];
    case 'officer':
      throw refuse(`their scope is their own field collections only, not the branch's reconciliations and payments`);
    case 'aggregate':
      throw refuse('their scope is fleet-wide status figures only, no branch numbers');
  }
}
