using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Sillon.Web;

/// <summary>
/// The web player: plain static files (ES modules, CSS, no build step) copied from Web/app to the
/// output's web/ folder and served from the same origin as the API. They are served before
/// authentication, so the app shell loads for a logged-out visitor; everything it then fetches
/// from /api needs a token.
/// </summary>
public static class WebApp
{
    public const string Folder = "web";

    public static IServiceCollection AddSillonWebApp(this IServiceCollection services) =>
        services.AddResponseCompression(o =>
        {
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["text/html", "text/css", "text/javascript", "application/javascript", "application/manifest+json", "image/svg+xml"];
        });

    public static void UseSillonWebApp(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, Folder);
        if (!Directory.Exists(root)) return;
        var files = new PhysicalFileProvider(root);
        // Only the app's own files are compressed: API JSON and audio keep their exact lengths and ranges.
        app.UseWhen(http => !http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/rest"), web =>
        {
            web.UseResponseCompression();
            web.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
            types.Mappings[".webmanifest"] = "application/manifest+json";
            web.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = types,
                OnPrepareResponse = ctx =>
                {
                    var headers = ctx.Context.Response.Headers;
                    // No fingerprinted names (no build step), so the browser revalidates each file by its ETag;
                    // the service worker keeps the shell for offline use.
                    headers.CacheControl = "no-cache";
                    headers.XContentTypeOptions = "nosniff";
                    if (ctx.File.Name.EndsWith(".html", StringComparison.Ordinal))
                    {
                        // Media URLs carry a token (access_token): never send them as a Referer.
                        headers[HeaderNames.ContentSecurityPolicy] =
                            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; " +
                            "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                        headers["Referrer-Policy"] = "no-referrer";
                    }
                },
            });
        });
    }
}
