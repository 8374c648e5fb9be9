// Authentication of the task pane (see docs/addin.md): Entra ID single sign-on, or the access code
// of the «custom» token provider saved by the user in the task pane.
globalThis.getAuth = async function () {
  if (config.authProviders.includes("entraid")) {
    return { token: await xlwings.getAccessToken(), provider: "entraid" };
  }
  if (config.authProviders.includes("custom")) {
    return { token: localStorage.getItem("rendiconta.codice") || "", provider: "custom" };
  }
  return { token: "", provider: "" };
};
