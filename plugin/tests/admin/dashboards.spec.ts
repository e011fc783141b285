// Every bundled dashboard opens and renders without a panel in error (admin sees every scope).
import { DASHBOARDS, expect, test } from '../fixtures';

for (const dashboard of DASHBOARDS) {
  test(`${dashboard.title} renders without panel errors`, async ({ gotoDashboardPage, page, selectors }) => {
    const dashboardPage = await gotoDashboardPage({ uid: dashboard.uid });
    await expect(page.getByText(dashboard.title.replace(/^Paywatch · /, '')).first()).toBeVisible();
    // Scroll through the whole dashboard so every panel runs its queries, then look for errors.
    await dashboardPage.waitForPanelsQueriesToComplete({ scrollAll: true, timeout: 60_000 });
    await expect(dashboardPage.getByGrafanaSelector(selectors.components.Panels.Panel.status('error'))).toHaveCount(0);
    for (const panel of dashboard.panels.slice(0, 3)) {
      await expect(dashboardPage.getPanelByTitle(panel.title).locator).toBeVisible();
    }
  });
}
