export { EndpointStats, cutText } from './method-stats.js';
export { PicomRoute, type RouteHandler } from './picom-route.js';
