export * from './errors.js';
export * from './identifiers.js';
export * from './outcomes.js';
export * from './hub-identity.js';
export * from './eligibility.js';
export * from './hub-outcome.js';
