export * from './ZoomRestClient.js';
