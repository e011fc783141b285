// Signed in as a branch manager (meera.bm, branch BR0001 in policy/policy.yml): the Branch
// operations dashboard's branch variable, whose options come from the scope proxy, lists only
// BR0001, and the data source refuses to show another branch's numbers.
import { expect, test } from '../fixtures';

const OWN_BRANCH = process.env.PAYWATCH_E2E_BRANCH || 'BR0001';
const OTHER_BRANCH = process.env.PAYWATCH_E2E_OTHER_BRANCH || 'BR0002';
const DATASOURCE_UID = process.env.PAYWATCH_E2E_DATASOURCE_UID || 'paywatch-prometheus';

test('the branch variable lists only my branch', async ({ gotoDashboardPage, page, selectors }) => {
  const dashboardPage = await gotoDashboardPage({ uid: 'paywatch-branch' });
  const current = dashboardPage.getByGrafanaSelector(
    selectors.pages.Dashboard.SubMenu.submenuItemValueDropDownValueLinkTexts(OWN_BRANCH)
  );
  await expect(current).toBeVisible();
  await current.click();
  const options = page.getByTestId(/Dashboard template variables Variable Value DropDown option text/);
  await expect(options.filter({ hasText: OWN_BRANCH })).toHaveCount(1);
  expect(await options.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(OWN_BRANCH)]));
  for (const text of await options.allTextContents()) {
    if (!/^(All|Selected)/.test(text.trim())) {
      expect(text).toContain(OWN_BRANCH);
    }
  }
});

test("another branch's numbers never come back, even when asked for by name", async ({ request }) => {
  const base = `/api/datasources/proxy/uid/${DATASOURCE_UID}/api/v1`;
  const values = await request.get(`${base}/label/branch/values`, {
    params: { 'match[]': 'branch_daily_target_inr' },
  });
  expect(values.ok()).toBeTruthy();
  expect((await values.json()).data).toEqual([OWN_BRANCH]);

  const query = await request.get(`${base}/query`, {
    params: { query: `branch_daily_target_inr{branch="${OTHER_BRANCH}"}` },
  });
  if (query.ok()) {
    expect((await query.json()).data.result).toEqual([]);
  } else {
    expect(query.status()).toBeGreaterThanOrEqual(400);
  }
});
