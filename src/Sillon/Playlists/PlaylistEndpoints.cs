using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Accounts;
using Sillon.Catalog;

namespace Sillon.Playlists;

public sealed record SmartFieldInfo(string Name, string Type, IReadOnlyList<string> Operators, bool Sortable);
public sealed record SmartFields(IReadOnlyList<SmartFieldInfo> Fields, int MaxLimit);

/// <summary>
/// /api/v1/playlists: every playlist the user can see with its kind (smart, imported), smart
/// playlist CRUD and a preview that evaluates rules without saving them, and the M3U8 export.
/// Ordinary playlists are made and edited through Subsonic (the web player uses /rest for them).
/// </summary>
public static class PlaylistEndpoints
{
    public static IServiceCollection AddPlaylists(this IServiceCollection services) =>
        services.AddSingleton<SmartPlaylists>().AddSingleton<PlaylistStore>();

    public static void MapPlaylistEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/playlists").WithTags("Playlists");
        group.MapGet("", (HttpContext http, PlaylistStore store, CancellationToken ct) => store.ListAsync(http.UserId(), ct))
            .WithSummary("Playlists the user can see (their own and public ones), with their kind");
        group.MapGet("/smart/fields", () => TypedResults.Ok(new SmartFields(SmartRules.Fields
                .Select(f => new SmartFieldInfo(f.Name, f.Type.ToString().ToLowerInvariant(), f.Operators, SmartRules.IsSortField(f.Name))).ToList(), SmartRules.MaxLimit)))
            .WithSummary("The fields smart playlist rules can use, with their type and operators");
        group.MapPost("/smart/preview", Preview).WithSummary("Evaluate smart playlist rules for the user without saving them");
        group.MapPost("/smart", Create).RequireAuthorization(RolePolicies.Playlist).WithSummary("Create a smart playlist");
        group.MapPut("/smart/{id}", Update).RequireAuthorization(RolePolicies.Playlist).WithSummary("Change a smart playlist's name, comment, visibility or rules");
        group.MapGet("/{id}", Get).WithSummary("A playlist with its rules (smart) or its file and missing entries (imported)");
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFound>> (string id, HttpContext http, PlaylistStore store, CancellationToken ct) =>
            CatalogIds.TryParse(id, CatalogIds.Playlist, out var n) && await store.DeleteAsync(n, http.UserId(), http.User.IsInRole("admin"), ct)
                ? TypedResults.NoContent() : TypedResults.NotFound()).RequireAuthorization(RolePolicies.Playlist).WithSummary("Delete a playlist (its owner or an administrator)");
        group.MapGet("/{id}/m3u8", Export).WithSummary("The playlist as an M3U8 file; paths relative to the music folder, or absolute (administrators)");
    }

    private static ProblemHttpResult Invalid(SmartRuleException e) =>
        TypedResults.Problem(e.Message, title: "Invalid smart playlist rules", statusCode: 400,
            extensions: new Dictionary<string, object?> { ["at"] = e.At });

    private static async Task<Results<Ok<PlaylistDetail>, NotFound>> Get(string id, HttpContext http, PlaylistStore store, CancellationToken ct) =>
        CatalogIds.TryParse(id, CatalogIds.Playlist, out var n) && await store.GetAsync(n, http.UserId(), http.User.IsInRole("admin"), ct) is { } p
            ? TypedResults.Ok(p) : TypedResults.NotFound();

    private static async Task<Results<Ok<SmartPreview>, ProblemHttpResult>> Preview(SmartRuleSet? rules, HttpContext http, SmartPlaylists smart, CancellationToken ct)
    {
        if (rules is null) return TypedResults.Problem("a body with the rules is required", statusCode: 400);
        try { return TypedResults.Ok(await smart.PreviewAsync(rules, http.UserId(), ct)); }
        catch (SmartRuleException e) { return Invalid(e); }
    }

    private static ProblemHttpResult? CheckRequest(SmartPlaylistRequest request, bool creating)
    {
        if (creating && string.IsNullOrWhiteSpace(request.Name)) return TypedResults.Problem("a name is required", statusCode: 400);
        if (request.Name is { } name && (name.Length > PlaylistStore.MaxName || name.Trim().Length == 0))
            return TypedResults.Problem($"the name must have 1 to {PlaylistStore.MaxName} characters", statusCode: 400);
        if (request.Comment?.Length > 2000) return TypedResults.Problem("the comment must have at most 2000 characters", statusCode: 400);
        if (creating && request.Rules is null) return TypedResults.Problem("rules are required", statusCode: 400);
        try { if (request.Rules is not null) SmartRules.Validate(request.Rules); }
        catch (SmartRuleException e) { return Invalid(e); }
        return null;
    }

    private static async Task<Results<Created<PlaylistDetail>, ProblemHttpResult>> Create(SmartPlaylistRequest? request, HttpContext http, PlaylistStore store, CancellationToken ct)
    {
        if (request is null) return TypedResults.Problem("a body is required", statusCode: 400);
        if (CheckRequest(request, creating: true) is { } problem) return problem;
        var id = await store.CreateSmartAsync(http.UserId(), request.Name!.Trim(), request.Comment, request.Public ?? false, request.Rules!, ct);
        var detail = await store.GetAsync(id, http.UserId(), http.User.IsInRole("admin"), ct);
        return TypedResults.Created($"/api/v1/playlists/{detail!.Playlist.Id}", detail);
    }

    private static async Task<Results<Ok<PlaylistDetail>, NotFound, ProblemHttpResult>> Update(string id, SmartPlaylistRequest? request, HttpContext http,
        PlaylistStore store, CancellationToken ct)
    {
        if (request is null) return TypedResults.Problem("a body is required", statusCode: 400);
        if (!CatalogIds.TryParse(id, CatalogIds.Playlist, out var n)) return TypedResults.NotFound();
        if (CheckRequest(request, creating: false) is { } problem) return problem;
        switch (await store.UpdateSmartAsync(n, http.UserId(), request with { Name = request.Name?.Trim() }, ct))
        {
            case PlaylistStore.Change.NotFound: return TypedResults.NotFound();
            case PlaylistStore.Change.NotSmart: return TypedResults.Problem("this playlist is not a smart playlist: its tracks are edited, not its rules", statusCode: 400);
        }
        return TypedResults.Ok((await store.GetAsync(n, http.UserId(), http.User.IsInRole("admin"), ct))!);
    }

    private static async Task<IResult> Export(string id, string? paths, HttpContext http, PlaylistStore store, CancellationToken ct)
    {
        var admin = http.User.IsInRole("admin");
        if (paths is not (null or "relative" or "absolute")) return TypedResults.Problem("paths is relative or absolute", statusCode: 400);
        if (paths == "absolute" && !admin) return TypedResults.Problem("absolute paths show the server's file layout: administrators only", statusCode: 403);
        if (!CatalogIds.TryParse(id, CatalogIds.Playlist, out var n) || await store.GetAsync(n, http.UserId(), admin, ct) is not { } playlist)
            return TypedResults.NotFound();
        var text = PlaylistFiles.WriteM3u8(playlist.Playlist.Name, await store.ExportTracksAsync(n, ct), absolute: paths == "absolute");
        var file = PlaylistFiles.SafeFileName(playlist.Playlist.Name) + ".m3u8";
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(file); // filename (ASCII fallback) and filename* (UTF-8)
        http.Response.Headers.ContentDisposition = disposition.ToString();
        return TypedResults.Text(text, "audio/x-mpegurl; charset=utf-8", Encoding.UTF8);
    }
}
