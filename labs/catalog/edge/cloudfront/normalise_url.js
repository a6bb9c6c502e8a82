// Viewer request (cloudfront-js-2.0): one canonical URL per page, so the cache holds one copy.
// "/Docs" and "/docs/" both become "/docs/index.html"; a path with a file extension keeps it.
function handler(event) {
    var request = event.request;
    var uri = request.uri.toLowerCase();
    if (uri.endsWith('/')) {
        uri += 'index.html';
    } else if (uri.split('/').pop().indexOf('.') === -1) {
        uri += '/index.html';
    }
    request.uri = uri;
    return request;
}
