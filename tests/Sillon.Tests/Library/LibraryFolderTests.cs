using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sillon.Library;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Library;

/// <summary>Music folders added and removed by an administrator, through the real server.</summary>
public sealed class LibraryFolderTests
{
    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException(what);
    }

    private static Task<long> TracksUnderAsync(TestLibrary lib, string folder) =>
        Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM tracks WHERE path LIKE @prefix", new { prefix = folder + "/%" });

    private static async Task<string> ExtraFolderAsync(TestLibrary lib)
    {
        var extra = Path.Combine(lib.Root, "extra");
        await AudioFiles.TaggedAsync(extra, "Other Artist/Second Album/01 - Far.mp3", "mp3",
            new TagSet { Title = "Far", Artists = ["Other Artist"], AlbumArtists = ["Other Artist"], Album = "Second Album", Track = 1 });
        return extra;
    }

    [Fact]
    public async Task Added_folder_is_scanned_listed_and_kept_across_restarts_then_removed_with_its_tracks()
    {
        await using var lib = new TestLibrary();
        await lib.AddAsync("Artist/First Album/01 - Near.mp3", "mp3", new TagSet { Title = "Near", Artists = ["Artist"], AlbumArtists = ["Artist"], Album = "First Album", Track = 1 });
        var extra = await ExtraFolderAsync(lib);
        LibraryFolder added;
        await using (var server = await SillonServer.StartAsync(lib))
        {
            await server.WaitForScanAsync();
            using var admin = await server.LoginAsync();
            var response = await admin.PostAsJsonAsync("/api/v1/library/folders", new { path = extra + "/" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            added = (await response.Content.ReadFromJsonAsync<LibraryFolder>())!;
            Assert.Equal(extra, added.Path);
            Assert.Equal("admin", added.Source);
            // Adding it starts a scan of it.
            await WaitForAsync(async () => await TracksUnderAsync(lib, extra) == 1, "the added folder was not scanned");
            var albums = await Sql.QueryAsync<string>(lib.Data, "SELECT name FROM albums ORDER BY name");
            Assert.Equal(["First Album", "Second Album"], albums);
        }

        // A restart keeps it: listed, scanned and browsable (Subsonic lists it as a music folder).
        await using (var server = await SillonServer.StartAsync(lib))
        {
            await server.WaitForScanAsync();
            using var admin = await server.LoginAsync("root", "s3cret-pass");
            var folders = (await admin.GetFromJsonAsync<List<LibraryFolder>>("/api/v1/library/folders"))!;
            Assert.Equal([("config", lib.Music), ("admin", extra)], folders.Select(f => (f.Source, f.Path)));
            Assert.All(folders, f => Assert.Equal(1, f.Tracks));
            Assert.Equal(1, await TracksUnderAsync(lib, extra));
            var music = await server.Client().GetStringAsync("/rest/getMusicFolders?u=root&p=s3cret-pass&v=1.16.1&c=t&f=json");
            Assert.Contains("\"extra\"", music);

            // The configuration's folder cannot be removed here; an unknown id is 404.
            var configured = await admin.DeleteAsync($"/api/v1/library/folders/{folders[0].Id}");
            Assert.Equal(HttpStatusCode.Conflict, configured.StatusCode);
            Assert.Contains("--music", await configured.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/library/folders/999999")).StatusCode);

            Assert.Equal(HttpStatusCode.Accepted, (await admin.DeleteAsync($"/api/v1/library/folders/{added.Id}")).StatusCode);
            await WaitForAsync(async () => await TracksUnderAsync(lib, extra) == 0, "the removed folder's tracks stayed");
            await WaitForAsync(async () => await Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM library_roots WHERE path = @extra", new { extra }) == 0,
                "the removed folder's row stayed");
            // The row goes in the middle of the scan that removes the folder; its album and search entries at the end of it.
            await server.WaitForScanAsync();
            Assert.Equal(["First Album"], await Sql.QueryAsync<string>(lib.Data, "SELECT name FROM albums"));
            Assert.Equal(0, await Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM artists WHERE name = 'Other Artist'"));
            var search = await admin.GetStringAsync("/api/v1/search?q=Far");
            Assert.DoesNotContain("Second Album", search);
            Assert.Equal([lib.Music], (await admin.GetFromJsonAsync<List<LibraryFolder>>("/api/v1/library/folders"))!.Select(f => f.Path));
            // The files themselves are untouched.
            Assert.True(File.Exists(Path.Combine(extra, "Other Artist/Second Album/01 - Far.mp3")));
        }
    }

    [Fact]
    public async Task Unusable_folders_are_refused_with_the_reason()
    {
        await using var lib = new TestLibrary();
        var nested = Directory.CreateDirectory(Path.Combine(lib.Music, "Sub")).FullName;
        var file = Path.Combine(lib.Root, "a-file.txt");
        await File.WriteAllTextAsync(file, "not a folder");
        var link = Path.Combine(lib.Root, "link-to-sub");
        File.CreateSymbolicLink(link, nested);
        await using var server = await SillonServer.StartAsync(lib);
        using var admin = await server.LoginAsync();

        async Task Refused(string? path, HttpStatusCode status, string reason)
        {
            var response = await admin.PostAsJsonAsync("/api/v1/library/folders", new { path });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains(reason, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        }
        await Refused(Path.Combine(lib.Root, "nowhere"), HttpStatusCode.BadRequest, "does not exist");
        await Refused(file, HttpStatusCode.BadRequest, "is a file, not a folder");
        await Refused(nested, HttpStatusCode.BadRequest, "is inside the music folder");
        await Refused(link, HttpStatusCode.BadRequest, "is inside the music folder");
        await Refused(lib.Root, HttpStatusCode.BadRequest, "contains the music folder");
        await Refused("relative/music", HttpStatusCode.BadRequest, "not an absolute path");
        await Refused("", HttpStatusCode.BadRequest, "path is required");
        await Refused(lib.Music, HttpStatusCode.Conflict, "already a music folder");
        Assert.Single((await admin.GetFromJsonAsync<List<LibraryFolder>>("/api/v1/library/folders"))!);

        using var listener = await server.LoginAsync("bob", "s3cret-pass", admin: false);
        Assert.Equal(HttpStatusCode.Forbidden, (await listener.PostAsJsonAsync("/api/v1/library/folders", new { path = lib.Root })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await listener.GetAsync("/api/v1/library/folders")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/api/v1/library/folders")).StatusCode);
    }
}
