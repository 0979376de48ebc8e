// Starts Swagger UI on /docs (FastAPI's page does this in an inline script, which our
// Content-Security-Policy forbids). The OpenAPI URL comes from the page's #swagger-config block.
const config = JSON.parse(document.getElementById('swagger-config').textContent);
window.ui = SwaggerUIBundle({
  url: config.url,
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
