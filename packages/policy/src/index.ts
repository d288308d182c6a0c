export { compilePolicy, safeCompilePolicy } from './compile.ts';
export { DEFAULT_BLOCKED_CIDRS } from './defaults.ts';
export type { PolicyErrorCode } from './errors.ts';
export { PolicyError } from './errors.ts';
export { compileHostPatterns } from './matcher.ts';
export type {
  CheckRequest,
  CidrRule,
  Decision,
  DecisionReason,
  DefaultRule,
  HostMatcher,
  HostRule,
  Policy,
  PolicyConfig,
  PolicyMode,
  PolicyRule,
  SafeCompileResult,
  Validation,
} from './types.ts';
export { canonicalHost, safeCanonicalHost, validateCidr, validateHostPattern } from './validate.ts';
