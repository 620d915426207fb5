export * from './types.js';
export * from './errors.js';
export { StoreProvider, type StoreProviderOptions } from './store-provider.js';
