/**
 * Label key and value validation with the messages of k8s.io/apimachinery
 * (`validation.IsQualifiedName`, `IsValidLabelValue`), so a rejected selector reads
 * the same as it would from kube-apiserver. Each function returns the list of problems
 * (empty = valid), as the Go helpers do.
 */

const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_FMT_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " +
  "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_FMT_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
  "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used " +
  "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
  "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** `[prefix/]name`: prefix a DNS-1123 subdomain (≤253), name ≤63 chars. */
export function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${NAME_FMT_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  const errs: string[] = parts.length === 2 ? prefixErrors(parts[0] ?? '') : [];
  if (name.length === 0) return [...errs, 'name part must be non-empty'];
  if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part must be no more than ${QUALIFIED_NAME_MAX} characters`);
  if (!NAME_RE.test(name)) errs.push(`name part ${NAME_FMT_MSG}`);
  return errs;
}

function prefixErrors(prefix: string): string[] {
  if (prefix.length === 0) return ['prefix part must be non-empty'];
  const errs: string[] = [];
  if (prefix.length > DNS1123_SUBDOMAIN_MAX) {
    errs.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
  }
  if (!DNS1123_SUBDOMAIN_RE.test(prefix)) errs.push(`prefix part ${DNS1123_SUBDOMAIN_MSG}`);
  return errs;
}

/** Label values: ≤63 chars of `[A-Za-z0-9._-]`, alphanumeric at both ends, or empty. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(`must be no more than ${LABEL_VALUE_MAX} characters`);
  if (!VALUE_RE.test(value)) errs.push(VALUE_FMT_MSG);
  return errs;
}
