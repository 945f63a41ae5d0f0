// Renders the service's own /openapi.json. "Try it out" sends requests to
// the origin that served this page (the document names no server), and no
// request leaves for the internet: the spec validator badge is off.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  displayRequestDuration: true,
  showExtensions: true,
});
