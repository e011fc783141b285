import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${pluginJson.id}`;
export const CONFIG_URL = `/plugins/${pluginJson.id}`;

export enum ROUTES {
  Home = 'home',
  Metrics = 'metrics',
}
