// Swagger UI over the project's own hand-written contract; nothing is fetched from outside the server.
window.ui = SwaggerUIBundle({
  url: new URL('openapi.yaml', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null, // the default badge calls an external validator
  tryItOutEnabled: false,
});
