/** `{service}`, `{env}`, `{week}` placeholders of the policy's title templates. */
export function renderTitle(template: string, values: { service: string; env: string; week: string }): string {
  return template.replace(/\{(service|env|week)\}/g, (_, key: keyof typeof values) => values[key]).slice(0, 200);
}
