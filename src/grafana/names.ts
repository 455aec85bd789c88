/** Everything the CLI creates in Grafana is named after the stack, so two stacks can share one Grafana. */
export function grafanaNames(stack: string) {
  return {
    datasourceUid: `${stack}-amp`,
    datasourceName: `AMP (${stack})`,
    folderUid: `${stack}-folder`,
    folderTitle: stack,
    dashboardUid: `${stack}-nodejs`,
  };
}
