using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Library;
using Sillon.Playlists;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Playlists;

public sealed class PlaylistImportTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    public async Task InitializeAsync()
    {
        await _lib.AddAsync("A/One/01 - First.mp3", "mp3", new TagSet { Title = "First", Artists = ["A"], Album = "One", Track = 1 });
        await _lib.AddAsync("A/One/02 - Second Song.mp3", "mp3", new TagSet { Title = "Second Song", Artists = ["A"], Album = "One", Track = 2 });
        await _lib.AddAsync("B/Two/01 - Third.ogg", "ogg", new TagSet { Title = "Third", Artists = ["B"], Album = "Two", Track = 1 });
        await using var harness = await _lib.ScannerAsync();
        await harness.Services.GetRequiredService<Users>().AddAsync("admin", "s3cret-pass", isAdmin: true, CancellationToken.None);
        await harness.Services.GetRequiredService<Users>().AddAsync("listener", "s3cret-pass", isAdmin: false, CancellationToken.None);
    }

    public Task DisposeAsync() => _lib.DisposeAsync().AsTask();

    private void Write(string relPath, string text, bool bom = false) =>
        _lib.WriteBytes(relPath, bom ? [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)] : Encoding.UTF8.GetBytes(text));

    private Task<List<string>> TitlesAsync(string name) => Sql.QueryAsync<string>(_lib.Data, """
        SELECT t.title FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id JOIN playlists p ON p.id = pt.playlist_id
        WHERE p.name = @name ORDER BY pt.position
        """, new { name });

    private Task<string?> MissingAsync(string name) =>
        Sql.ScalarAsync<string?>(_lib.Data, "SELECT COALESCE(missing, '[]') FROM playlists WHERE name = @name", new { name });

    [Fact]
    public async Task M3u_with_relative_absolute_url_and_missing_entries_is_imported_and_the_missing_ones_reported()
    {
        var absolute = _lib.PathOf("B/Two/01 - Third.ogg");
        var url = new Uri(_lib.PathOf("A/One/02 - Second Song.mp3")).AbsoluteUri; // file:///…/02%20-%20Second%20Song.mp3
        Write("Lists/mix.m3u8", string.Join("\r\n",
            "#EXTM3U", "#PLAYLIST:My Mix",
            "#EXTINF:1,A - First", "../A/One/01 - First.mp3",
            "#EXTINF:1,B - Third", absolute,
            url,
            "../A/One/99 - Gone.mp3",
            "..\\A\\One\\01 - First.mp3",
            ""), bom: true);

        var summary = await _lib.ScanAsync();

        Assert.Equal(["First", "Third", "Second Song", "First"], await TitlesAsync("My Mix"));
        Assert.Equal("""["../A/One/99 - Gone.mp3"]""", await MissingAsync("My Mix"));
        var error = Assert.Single(summary.Errors, e => e.Path.EndsWith("mix.m3u8"));
        Assert.Contains("1 of 5 entries match no track: ../A/One/99 - Gone.mp3", error.Reason);
        Assert.Equal(1, summary.Playlists);
        // Owned by the first administrator, public for every user.
        var row = await Sql.RowAsync(_lib.Data, "SELECT u.name AS owner, p.public FROM playlists p JOIN users u ON u.id = p.user_id WHERE p.name = 'My Mix'");
        Assert.Equal("admin", row["owner"]);
        Assert.Equal(1L, row["public"]);
    }

    [Fact]
    public async Task Pls_entries_are_imported_in_their_numbered_order()
    {
        Write("A/One/album.pls", "[playlist]\nFile2=02 - Second Song.mp3\nTitle2=Second\nFile1=01 - First.mp3\nNumberOfEntries=2\nVersion=2\n");

        await _lib.ScanAsync();

        Assert.Equal(["First", "Second Song"], await TitlesAsync("album"));
    }

    [Fact]
    public async Task An_edited_playlist_file_updates_its_playlist_on_rescan()
    {
        Write("A/list.m3u", "One/01 - First.mp3\n");
        await _lib.ScanAsync();
        var id = await Sql.ScalarAsync<long>(_lib.Data, "SELECT id FROM playlists WHERE name = 'list'");

        Write("A/list.m3u", "One/02 - Second Song.mp3\nOne/01 - First.mp3\n");
        File.SetLastWriteTimeUtc(_lib.PathOf("A/list.m3u"), DateTime.UtcNow.AddMinutes(1));
        await _lib.ScanAsync();

        Assert.Equal(["Second Song", "First"], await TitlesAsync("list"));
        Assert.Equal(id, await Sql.ScalarAsync<long>(_lib.Data, "SELECT id FROM playlists WHERE name = 'list'"));
    }

    [Fact]
    public async Task A_deleted_playlist_file_removes_its_playlist()
    {
        Write("A/list.m3u", "One/01 - First.mp3\n");
        await _lib.ScanAsync();
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM playlists"));

        File.Delete(_lib.PathOf("A/list.m3u"));
        var summary = await _lib.ScanAsync();

        Assert.Equal(0L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM playlists"));
        Assert.Equal(1, summary.Playlists);
    }

    [Fact]
    public async Task A_missing_entry_is_picked_up_once_its_track_is_scanned()
    {
        Write("A/list.m3u", "One/01 - First.mp3\nOne/03 - Late.mp3\n");
        await _lib.ScanAsync();
        Assert.Equal(["First"], await TitlesAsync("list"));

        await _lib.AddAsync("A/One/03 - Late.mp3", "mp3", new TagSet { Title = "Late", Artists = ["A"], Album = "One", Track = 3 });
        var summary = await _lib.ScanAsync();

        Assert.Equal(["First", "Late"], await TitlesAsync("list"));
        Assert.Equal("[]", await MissingAsync("list"));
        Assert.DoesNotContain(summary.Errors, e => e.Path.EndsWith("list.m3u"));
    }

    [Fact]
    public async Task A_folder_scan_elsewhere_completes_a_playlist_waiting_for_its_track()
    {
        Write("Lists/later.m3u", "../C/Three/01 - New.mp3\n../A/One/01 - First.mp3\n");
        await _lib.ScanAsync();
        Assert.Equal(["First"], await TitlesAsync("later"));

        await _lib.AddAsync("C/Three/01 - New.mp3", "mp3", new TagSet { Title = "New", Artists = ["C"], Album = "Three", Track = 1 });
        await using var harness = await _lib.ScannerAsync();
        await harness.Scanner.ScanAsync(false, default, [_lib.PathOf("C")]);

        Assert.Equal(["New", "First"], await TitlesAsync("later"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM playlists"));
    }

    [Fact]
    public async Task Entries_outside_the_music_folders_are_never_resolved()
    {
        // /etc/passwd exists on disk; the importer must not treat it as a track nor even look at it.
        Write("A/evil.m3u", "../../../../../../../../etc/passwd\n/etc/passwd\nfile:///etc/passwd\nhttp://example.com/stream.mp3\nOne/01 - First.mp3\n");

        var summary = await _lib.ScanAsync();

        Assert.Equal(["First"], await TitlesAsync("evil"));
        var missing = await MissingAsync("evil");
        Assert.Contains("../../../../../../../../etc/passwd (outside the music folders)", missing);
        Assert.Contains("/etc/passwd (outside the music folders)", missing);
        Assert.Contains("http://example.com/stream.mp3 (not a local file (a URL))", missing);
        Assert.Contains(summary.Errors, e => e.Path.EndsWith("evil.m3u") && e.Reason.Contains("4 of 5 entries"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM tracks WHERE path LIKE '/etc/%'"));
    }

    [Fact]
    public async Task Binary_and_huge_playlist_files_are_refused_with_a_reason_and_the_scan_completes()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        garbage[100] = 0;
        _lib.WriteBytes("A/garbage.m3u", garbage);
        using (var huge = File.Create(_lib.PathOf("A/huge.m3u8"))) huge.SetLength(PlaylistFiles.MaxBytes + 1);
        Write("A/fine.m3u", "One/01 - First.mp3\n");

        var summary = await _lib.ScanAsync();

        Assert.Equal(ScanStatus.Completed, summary.Status);
        Assert.Contains(summary.Errors, e => e.Path.EndsWith("garbage.m3u") && e.Reason.Contains("binary data"));
        Assert.Contains(summary.Errors, e => e.Path.EndsWith("huge.m3u8") && e.Reason.Contains("larger than 4 MB"));
        Assert.Equal(["fine"], await Sql.QueryAsync<string>(_lib.Data, "SELECT name FROM playlists"));
    }

    [Fact]
    public async Task Latin1_playlists_are_read_as_latin1()
    {
        await _lib.AddAsync("C/Café/01 - Déjà.mp3", "mp3", new TagSet { Title = "Déjà", Artists = ["C"], Album = "Café", Track = 1 });
        _lib.WriteBytes("C/old.m3u", Encoding.Latin1.GetBytes("Café/01 - Déjà.mp3\n"));

        await _lib.ScanAsync();

        Assert.Equal(["Déjà"], await TitlesAsync("old"));
    }
}

public sealed class PlaylistFilesTests
{
    [Theory]
    [InlineData("01.mp3", "/music/A/01.mp3")]
    [InlineData("../B/02.mp3", "/music/B/02.mp3")]
    [InlineData("..\\B\\02.mp3", "/music/B/02.mp3")]
    [InlineData("/music/C/03.mp3", "/music/C/03.mp3")]
    [InlineData("file:///music/C/Un%20deux.mp3", "/music/C/Un deux.mp3")]
    [InlineData("../../../etc/passwd", "/etc/passwd")]
    public void Entries_resolve_against_the_playlist_folder(string entry, string expected)
    {
        var (path, problem) = PlaylistFiles.Resolve(entry, "/music/A");
        Assert.Null(problem);
        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("/music/A/01.mp3", true)]
    [InlineData("/etc/passwd", false)]
    [InlineData("/music-other/x.mp3", false)]
    public void Only_paths_inside_a_music_folder_count(string path, bool inside) =>
        Assert.Equal(inside, PlaylistFiles.IsInside(path, ["/music", "/srv/more/"]));

    [Fact]
    public void Extended_m3u_keeps_paths_and_the_playlist_name_and_skips_directives()
    {
        var parsed = PlaylistFiles.Parse(Encoding.UTF8.GetBytes("#EXTM3U\r\n#PLAYLIST: Road trip \r\n#EXTINF:123,Artist - Title\r\n\r\na.mp3\r\n  b.flac  \r\n#EXTVLCOPT:x\r\n"), "x.m3u8");
        Assert.Equal("Road trip", parsed.Name);
        Assert.Equal(["a.mp3", "b.flac"], parsed.Entries);
    }

    [Fact]
    public void Too_many_entries_are_refused() =>
        Assert.Throws<PlaylistFileException>(() => PlaylistFiles.Parse(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("a.mp3\n", PlaylistFiles.MaxEntries + 1))), "x.m3u"));
}

public sealed class ImportedPlaylistApiTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();
    private SillonServer _server = null!;

    public async Task InitializeAsync()
    {
        await _lib.AddAsync("A/One/01 - First.mp3", "mp3", new TagSet { Title = "First", Artists = ["A"], Album = "One", Track = 1 });
        _lib.WriteBytes("A/road.m3u", Encoding.UTF8.GetBytes("One/01 - First.mp3\nOne/02 - Lost.mp3\n"));
        _server = await SillonServer.StartAsync(_lib);
        await _server.WaitForScanAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _lib.DisposeAsync();
    }

    [Fact]
    public async Task Playlist_files_wait_for_an_administrator_then_show_their_missing_entries_and_refuse_edits()
    {
        var first = _server.Services.GetRequiredService<ScanState>().Last!;
        Assert.Contains(first.Errors, e => e.Reason.Contains("no administrator account exists"));
        using var admin = await _server.LoginAsync("admin", admin: true);
        (await admin.PostAsync("/api/v1/scan", null)).EnsureSuccessStatusCode();
        await Task.Delay(200);
        await _server.WaitForScanAsync();

        var list = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/api/v1/playlists")).RootElement;
        var road = list.EnumerateArray().Single();
        Assert.True(road.GetProperty("imported").GetBoolean());
        Assert.True(road.GetProperty("public").GetBoolean());
        var id = road.GetProperty("id").GetString();
        var detail = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/playlists/{id}")).RootElement;
        Assert.Equal(["One/02 - Lost.mp3"], detail.GetProperty("missing").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(_lib.PathOf("A/road.m3u"), detail.GetProperty("source").GetString());

        using var listener = await _server.LoginAsync("listener", admin: false);
        var seen = System.Text.Json.JsonDocument.Parse(await listener.GetStringAsync($"/api/v1/playlists/{id}")).RootElement;
        Assert.Equal("road.m3u", seen.GetProperty("source").GetString()); // the server's layout is an administrator's business

        using var http = _server.Client();
        var track = await Sql.ScalarAsync<long>(_lib.Data, "SELECT id FROM tracks");
        var body = await http.GetStringAsync($"/rest/updatePlaylist?u=admin&p=s3cret-pass&v=1.16.1&c=t&f=json&playlistId={id}&songIdToAdd=tr-{track}");
        Assert.Contains("\"code\":50", body);
    }
}
