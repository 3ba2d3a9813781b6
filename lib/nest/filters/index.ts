export * from './picom-exception.filter.js';
