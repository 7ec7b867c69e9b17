// Filled in by the skeleton: starts one Azurite for the whole run.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
