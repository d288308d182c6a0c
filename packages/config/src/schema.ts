import * as v from 'valibot';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Headers that frame the request: letting a config set them would let it smuggle requests.
const FRAMING_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
]);

const list = v.optional(v.array(v.string()), () => []);

/** One credential rule; fields are checked without ever echoing `format`, which may hold a secret. */
export const CredentialRuleSchema = v.strictObject({
  host: v.string(),
  header: v.pipe(
    v.string(),
    v.regex(HEADER_NAME, 'is not an HTTP header name: use letters, digits and "-"'),
    v.check(
      (name) => !FRAMING_HEADERS.has(name.toLowerCase()),
      'names a header that frames the request and cannot be injected',
    ),
  ),
  format: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (format) => format.split('{value}').length === 2,
        'must contain "{value}" exactly once, where the secret goes (never the secret itself)',
      ),
      v.check(
        (format) => !/[\r\n\0]/.test(format),
        'must not contain line breaks or NUL characters',
      ),
    ),
    '{value}',
  ),
  env: v.pipe(
    v.string(),
    v.regex(ENV_NAME, 'is not an environment variable name: use letters, digits and "_"'),
  ),
});

/** `proxy-config.json` version 1: every field optional on input, filled with defaults on output. */
export const ProxyConfigSchema = v.strictObject({
  version: v.optional(v.literal(1), 1),
  policy: v.optional(v.picklist(['allow', 'deny']), 'allow'),
  allowHosts: list,
  blockHosts: list,
  allowCidrs: list,
  blockCidrs: list,
  bypassHosts: list,
  bypassCidrs: list,
  credentials: v.optional(v.array(CredentialRuleSchema), () => []),
});

const mode = v.picklist(['allow', 'deny']);

/** The field names Docker's own file is reported to use; imported on a best-effort basis. */
export const DockerProxyConfigSchema = v.strictObject({
  policy: v.optional(v.union([mode, v.strictObject({ default: mode })])),
  network: v.optional(
    v.strictObject({
      allowedDomains: list,
      blockedDomains: list,
      allowCIDR: list,
      blockCIDR: list,
      bypassDomains: list,
      bypassCIDR: list,
    }),
  ),
});

/** Which Docker field each sbx list comes from, to name the field the user wrote in errors. */
export const DOCKER_FIELDS = {
  allowHosts: ['network', 'allowedDomains'],
  blockHosts: ['network', 'blockedDomains'],
  allowCidrs: ['network', 'allowCIDR'],
  blockCidrs: ['network', 'blockCIDR'],
  bypassHosts: ['network', 'bypassDomains'],
  bypassCidrs: ['network', 'bypassCIDR'],
} as const;
