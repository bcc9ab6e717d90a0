using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>
/// Two music folders, and every endpoint that takes musicFolderId: the answer holds only that
/// folder's music, and without the parameter both folders'.
/// </summary>
public sealed class MusicFolderTests : IAsyncLifetime
{
    private const string Password = "s3cret-pass";
    private readonly TestLibrary _lib = new();
    private string _classical = null!;
    private SillonServer _server = null!;
    private HttpClient _http = null!;
    private long _rockFolder, _classicalFolder;

    public async Task InitializeAsync()
    {
        _classical = Path.Combine(_lib.Root, "classical");
        await _lib.AddAsync("Bo/Loud/01.mp3", "mp3", new TagSet { Title = "Noise", Artists = ["Bo"], AlbumArtists = ["Bo"], Album = "Loud", Genres = ["Rock"], Track = 1 });
        await AudioFiles.TaggedAsync(_classical, "Ana/Quiet/01.flac", "flac", new TagSet { Title = "Nocturne", Artists = ["Ana"], AlbumArtists = ["Ana"], Album = "Quiet", Genres = ["Classical"], Track = 1 });
        _server = await SillonServer.StartAsync(_lib, new Dictionary<string, string?> { ["Music:1"] = _classical, ["Library:Watch"] = "false" });
        await _server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        await _server.Services.GetRequiredService<Users>().AddAsync("alice", Password, false, CancellationToken.None);
        _http = _server.Client();
        var folders = (await OkAsync("getMusicFolders", "")).GetProperty("musicFolders").GetProperty("musicFolder").EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("id").GetInt64());
        Assert.Equal(2, folders.Count);
        _rockFolder = folders.Single(f => f.Key != "classical").Value;
        _classicalFolder = folders["classical"];
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }

    [Fact]
    public async Task Each_endpoint_answers_with_the_music_of_the_folder_asked_only()
    {
        foreach (var (folder, artist, album, song, genre) in new[] { (_rockFolder, "Bo", "Loud", "Noise", "Rock"), (_classicalFolder, "Ana", "Quiet", "Nocturne", "Classical") })
        {
            var f = $"musicFolderId={folder}";
            Assert.Equal([artist], Names((await OkAsync("getArtists", f)).GetProperty("artists").GetProperty("index").EnumerateArray()
                .SelectMany(i => i.GetProperty("artist").EnumerateArray())));
            Assert.Equal([album], Names((await OkAsync("getAlbumList2", $"type=newest&{f}")).GetProperty("albumList2").GetProperty("album").EnumerateArray()));
            Assert.Equal([album], Names((await OkAsync("getAlbumList", $"type=random&{f}")).GetProperty("albumList").GetProperty("album").EnumerateArray(), "title"));
            var sync = (await OkAsync("search3", $"query=&{f}")).GetProperty("searchResult3");
            Assert.Equal([song], Names(sync.GetProperty("song").EnumerateArray(), "title"));
            Assert.Equal([album], Names(sync.GetProperty("album").EnumerateArray()));
            Assert.Equal([song], Names((await OkAsync("search3", $"query=no&{f}")).GetProperty("searchResult3").GetProperty("song").EnumerateArray(), "title"));
            Assert.Equal([song], Names((await OkAsync("getRandomSongs", f)).GetProperty("randomSongs").GetProperty("song").EnumerateArray(), "title"));
            Assert.Equal([song], Names((await OkAsync("getSongsByGenre", $"genre={genre}&{f}")).GetProperty("songsByGenre").GetProperty("song").EnumerateArray(), "title"));
            Assert.Equal([artist], Names((await OkAsync("getIndexes", f)).GetProperty("indexes").GetProperty("index").EnumerateArray()
                .SelectMany(i => i.GetProperty("artist").EnumerateArray())));
        }
        Assert.Equal(["Ana", "Bo"], Names((await OkAsync("getArtists", "")).GetProperty("artists").GetProperty("index").EnumerateArray()
            .SelectMany(i => i.GetProperty("artist").EnumerateArray())).Order());
        Assert.Equal(["Nocturne", "Noise"], Names((await OkAsync("search3", "query=")).GetProperty("searchResult3").GetProperty("song").EnumerateArray(), "title").Order());
    }

    private static List<string> Names(IEnumerable<JsonElement> items, string field = "name") => items.Select(i => i.GetProperty(field).GetString()!).ToList();

    private async Task<JsonElement> OkAsync(string endpoint, string query)
    {
        var body = await _http.GetStringAsync($"/rest/{endpoint}?u=alice&p={Password}&v=1.16.1&c=tests&f=json{(query.Length > 0 ? "&" + query : "")}");
        var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response");
        Assert.True(r.GetProperty("status").GetString() == "ok", body);
        return r.Clone();
    }
}
