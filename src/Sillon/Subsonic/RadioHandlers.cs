using Dapper;
using Sillon.Catalog;
using static Sillon.Subsonic.UserDataHandlers;

namespace Sillon.Subsonic;

/// <summary>Internet radio stations: everyone lists them, administrators manage them.</summary>
public static class RadioHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getInternetRadioStations"] = GetRadioStations;
        h["createInternetRadioStation"] = CreateRadioStation;
        h["updateInternetRadioStation"] = UpdateRadioStation;
        h["deleteInternetRadioStation"] = DeleteRadioStation;
    }

    private static async Task<SubsonicResult> GetRadioStations(SubsonicCall call)
    {
        await using var c = await OpenAsync(call);
        var rows = await c.QueryAsync<(long Id, string Name, string StreamUrl, string? HomepageUrl)>(new CommandDefinition(
            "SELECT id, name, stream_url, homepage_url FROM radio_stations ORDER BY name COLLATE NOCASE, id", cancellationToken: call.Ct));
        return SubsonicResult.Of("internetRadioStations", new InternetRadioStations(rows.Select(r =>
            new InternetRadioStation(CatalogIds.Format(CatalogIds.Radio, r.Id), r.Name, r.StreamUrl, r.HomepageUrl)).ToList()));
    }

    private static string Url(SubsonicCall call, string name, bool required)
    {
        var value = required ? call.Params.Required(name) : call.Params.Get(name);
        if (value is null) return null!;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) throw SubsonicErrors.Invalid(name, "an http or https URL");
        return value;
    }

    private static async Task<SubsonicResult> CreateRadioStation(SubsonicCall call)
    {
        call.RequireAdmin("internet radio stations");
        var stream = Url(call, "streamUrl", true);
        var name = call.Params.Required("name");
        var homepage = Url(call, "homepageUrl", false);
        await using var c = await OpenAsync(call);
        await c.ExecuteAsync(new CommandDefinition("INSERT INTO radio_stations (name, stream_url, homepage_url, created_at) VALUES (@name, @stream, @homepage, @now)",
            new { name, stream, homepage, now = Now(call) }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> UpdateRadioStation(SubsonicCall call)
    {
        call.RequireAdmin("internet radio stations");
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Radio, "Internet radio station");
        var stream = Url(call, "streamUrl", true);
        var name = call.Params.Required("name");
        var homepage = Url(call, "homepageUrl", false);
        await using var c = await OpenAsync(call);
        var changed = await c.ExecuteAsync(new CommandDefinition("UPDATE radio_stations SET name = @name, stream_url = @stream, homepage_url = @homepage WHERE id = @id",
            new { id, name, stream, homepage }, cancellationToken: call.Ct));
        return changed == 0 ? throw SubsonicErrors.NotFoundError("Internet radio station") : SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteRadioStation(SubsonicCall call)
    {
        call.RequireAdmin("internet radio stations");
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Radio, "Internet radio station");
        await using var c = await OpenAsync(call);
        var deleted = await c.ExecuteAsync(new CommandDefinition("DELETE FROM radio_stations WHERE id = @id", new { id }, cancellationToken: call.Ct));
        return deleted == 0 ? throw SubsonicErrors.NotFoundError("Internet radio station") : SubsonicResult.Empty;
    }
}
