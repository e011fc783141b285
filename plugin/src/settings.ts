// The app's settings (plugin jsonData). provisioning/plugins/paywatch.yml sets them; the
// Configuration page edits them.
import { createContext, useContext } from 'react';

export interface AppSettings {
  /** uid of the Prometheus data source that is the Paywatch scope proxy. */
  datasourceUid?: string;
}

export const SettingsContext = createContext<AppSettings>({});

export function useSettings(): AppSettings {
  return useContext(SettingsContext);
}
