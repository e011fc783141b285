// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// findBy*/waitFor wait up to 10 s: page tests resolve mocked requests at once, but a loaded
// 2-core CI machine can take seconds to render @grafana/ui components.
import { configure } from '@testing-library/react';
configure({ asyncUtilTimeout: 10_000 });
