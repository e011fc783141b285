// The app's pages, signed in as Grafana's admin (policy.yml gives `admin` every scope).
import { ROUTES } from '../../src/constants';
import { testIds } from '../../src/components/testIds';
import { expect, test } from '../fixtures';

test.describe('app pages', () => {
  test('Home shows who the scope proxy says I am, my dashboards and my KPIs', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Home}`);
    const identity = page.getByTestId(testIds.home.identity);
    await expect(identity).toBeVisible();
    await expect(identity).toContainText('admin');
    await expect(identity).toContainText('All branches');
    await expect(page.getByTestId(testIds.home.dashboards).getByRole('link')).toHaveCount(6);
    await expect(page.getByTestId(testIds.home.kpiTile).first()).toBeVisible();
    await expect(page.getByTestId(testIds.home.kpiError)).toHaveCount(0);
  });

  test('Metrics catalogue lists the contract with Explore links', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Metrics}`);
    await expect(page.getByTestId(testIds.metrics.container)).toBeVisible();
    const payments = page.getByTestId(testIds.metrics.row).filter({ hasText: 'payments_total' }).first();
    await expect(payments).toBeVisible();
    await expect(payments.getByRole('link', { name: /explore/i })).toHaveAttribute('href', /\/explore\?/);
  });

  test('Configuration checks the connection to the scope proxy', async ({ appConfigPage, page }) => {
    await expect(page.getByRole('group', { name: /scope proxy/i })).toBeVisible();
    await page.getByTestId(testIds.appConfig.check).click();
    await expect(page.getByText('Connected to the scope proxy')).toBeVisible();
    expect(appConfigPage).toBeTruthy();
  });
});
