using Sillon.Library;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Library;

public sealed class ScannerTests : IAsyncLifetime
{
    private readonly TestLibrary _lib = new();

    private static TagSet Song(string title, string artist = "Artist", string album = "Album", int track = 1, int? disc = null) =>
        new() { Title = title, Artists = [artist], Album = album, Track = track, Disc = disc };

    [Fact]
    public async Task Scan_stores_tags_and_audio_properties_of_each_file()
    {
        await _lib.AddAsync("Artist/Album/01 - One.flac", "flac", new TagSet
        {
            Title = "One", Artists = ["Alpha", "Beta"], AlbumArtists = ["Alpha"], Album = "Album", Track = 1, TrackTotal = 2,
            Genres = ["Rock", "Jazz"], Date = "2001-02-03", Isrc = "GBAYE0000001", Bpm = "120",
        });

        var summary = await _lib.ScanAsync();

        Assert.Equal(ScanStatus.Completed, summary.Status);
        Assert.Equal(1, summary.Added);
        var row = await Sql.RowAsync(_lib.Data, "SELECT * FROM tracks");
        Assert.Equal("One", row["title"]);
        Assert.Equal("Alpha • Beta", row["display_artist"]);
        Assert.Equal("Alpha", row["display_album_artist"]);
        Assert.Equal(1L, row["track_number"]);
        Assert.Equal(2L, row["track_total"]);
        Assert.Equal(2001L, row["year"]);
        Assert.Equal("2001-02-03", row["date"]);
        Assert.Equal("GBAYE0000001", row["isrc"]);
        Assert.Equal(120L, row["bpm"]);
        Assert.Equal("FLAC", row["codec"]);
        Assert.Equal("flac", row["suffix"]);
        Assert.Equal("audio/flac", row["content_type"]);
        Assert.Equal(44100L, row["sample_rate"]);
        Assert.Equal(2L, row["channels"]);
        Assert.Equal(new FileInfo(_lib.PathOf("Artist/Album/01 - One.flac")).Length, row["size"]);
        Assert.Equal(["Alpha", "Beta"], await Sql.QueryAsync<string>(_lib.Data,
            "SELECT a.name FROM track_artists ta JOIN artists a ON a.id = ta.artist_id WHERE ta.role = 'artist' ORDER BY ta.position"));
        Assert.Equal(["Jazz", "Rock"], (await Sql.QueryAsync<string>(_lib.Data, "SELECT g.name FROM track_genres tg JOIN genres g ON g.id = tg.genre_id")).Order());
        Assert.Equal(2, summary.Artists);
    }

    [Fact]
    public async Task Disc_folders_form_one_album_with_two_discs()
    {
        await _lib.AddAsync("Band/Double/CD1/01.mp3", "mp3", new TagSet { Title = "A", Artists = ["Band"], Album = "Double", Track = 1, Disc = 1 });
        await _lib.AddAsync("Band/Double/CD2/01.mp3", "mp3", new TagSet { Title = "B", Artists = ["Band"], Album = "Double", Track = 1, Disc = 2 });
        await _lib.ImageAsync("Band/Double/cover.jpg");

        var summary = await _lib.ScanAsync();

        Assert.Equal(1, summary.Albums);
        var album = await Sql.RowAsync(_lib.Data, "SELECT * FROM albums");
        Assert.Equal(2L, album["track_count"]);
        Assert.Equal(2L, album["disc_count"]);
        Assert.EndsWith("Band/Double/cover.jpg", (string)album["cover_path"]!);
    }

    [Fact]
    public async Task Compilation_is_one_album_with_per_track_artists()
    {
        await _lib.AddAsync("Comp/01.mp3", "mp3", new TagSet { Title = "A", Artists = ["First"], Album = "Hits 2000", Track = 1, Compilation = true });
        await _lib.AddAsync("Comp/02.mp3", "mp3", new TagSet { Title = "B", Artists = ["Second"], Album = "Hits 2000", Track = 2, Compilation = true });
        await _lib.AddAsync("Comp/03.flac", "flac", new TagSet { Title = "C", Artists = ["Third"], Album = "Hits 2000", Track = 3, AlbumArtists = ["Various Artists"] });

        var summary = await _lib.ScanAsync();

        Assert.Equal(1, summary.Albums);
        Assert.Equal("Various Artists", await Sql.ScalarAsync<string>(_lib.Data, "SELECT display_artist FROM albums"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT compilation FROM albums"));
        Assert.Equal(["First", "Second", "Third"], await Sql.QueryAsync<string>(_lib.Data, "SELECT display_artist FROM tracks ORDER BY track_number"));
    }

    [Fact]
    public async Task Album_with_musicbrainz_id_groups_by_it_even_when_names_differ()
    {
        const string mbz = "11111111-2222-4333-8444-555555555555";
        await _lib.AddAsync("x/1.flac", "flac", new TagSet { Title = "A", Artists = ["X"], Album = "Name", MbAlbumId = mbz });
        await _lib.AddAsync("y/2.flac", "flac", new TagSet { Title = "B", Artists = ["X"], Album = "Name (Deluxe)", MbAlbumId = mbz });
        Assert.Equal(1, (await _lib.ScanAsync()).Albums);
    }

    [Fact]
    public async Task Untagged_file_appears_with_file_name_title_and_unknown_artist()
    {
        await _lib.AddUntaggedAsync("loose/04 - Rainy Day.mp3");
        await _lib.ScanAsync();
        var row = await Sql.RowAsync(_lib.Data, "SELECT t.title, t.display_artist, a.name AS album FROM tracks t JOIN albums a ON a.id = t.album_id");
        Assert.Equal("Rainy Day", row["title"]);
        Assert.Equal("[Unknown Artist]", row["display_artist"]);
        Assert.Equal("[Unknown Album]", row["album"]);
    }

    [Fact]
    public async Task An_albums_stored_artists_follow_its_album_artist_tags_across_rescans()
    {
        TagSet Tags(string title, int track) => new()
        {
            Title = title, Artists = ["Zoë \"Q\" O'Brien"], AlbumArtists = ["Zoë \"Q\" O'Brien", "坂本龍一"], Album = "Duo", Track = track,
            MbAlbumId = "0b1e4c6a-5f0c-4a3c-9b57-1a2b3c4d5e6f",
        };
        var paths = new[] { await _lib.AddAsync("Duo/01.flac", "flac", Tags("A", 1)), await _lib.AddAsync("Duo/02.flac", "flac", Tags("B", 2)) };
        await _lib.ScanAsync();
        var album = Assert.Single(await Sql.AlbumArtistsBothWaysAsync(_lib.Data));
        Assert.Equal(["Zoë \"Q\" O'Brien", "坂本龍一"], album.Stored.Select(a => a.Name));
        Assert.Equal(album.Linked, album.Stored);

        foreach (var path in paths)
        {
            await AudioFiles.RunAsync("metaflac", ["--remove-tag=ALBUMARTIST", "--set-tag=ALBUMARTIST=坂本龍一", "--set-tag=ALBUMARTIST=Третий", path]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        }
        await _lib.ScanAsync();

        var edited = Assert.Single(await Sql.AlbumArtistsBothWaysAsync(_lib.Data));
        Assert.Equal(album.Album, edited.Album); // the same album (by its MusicBrainz id), its artists rewritten
        Assert.Equal(["坂本龍一", "Третий"], edited.Stored.Select(a => a.Name));
        Assert.Equal(album.Stored[1], edited.Stored[0]);
        Assert.Equal(edited.Linked, edited.Stored);
    }

    [Fact]
    public async Task Rescan_picks_up_edited_tags_and_keeps_the_track_id()
    {
        var path = await _lib.AddAsync("a/song.flac", "flac", Song("Old Title"));
        await _lib.ScanAsync();
        var id = await Sql.TrackIdAsync(_lib.Data, "song.flac");

        await AudioFiles.RunAsync("metaflac", ["--remove-tag=TITLE", "--set-tag=TITLE=New Title", path]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var summary = await _lib.ScanAsync();

        Assert.Equal(1, summary.Updated);
        Assert.Equal(0, summary.Added);
        Assert.Equal("New Title", await Sql.ScalarAsync<string>(_lib.Data, "SELECT title FROM tracks WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Rescan_reads_only_changed_files()
    {
        for (var i = 1; i <= 5; i++) await _lib.AddAsync($"a/{i}.mp3", "mp3", Song($"S{i}", track: i));
        await _lib.ScanAsync();

        var second = await _lib.ScanAsync();
        Assert.Equal(5, second.Unchanged);
        Assert.Equal(0, second.Added + second.Updated + second.Removed);

        var full = await _lib.ScanAsync(full: true);
        Assert.Equal(5, full.Updated);
    }

    [Fact]
    public async Task Moved_folder_keeps_track_ids()
    {
        await _lib.AddAsync("Old Place/Album/1.mp3", "mp3", Song("First", track: 1));
        await _lib.AddAsync("Old Place/Album/2.mp3", "mp3", Song("Second", track: 2));
        await _lib.ScanAsync();
        var before = await Sql.QueryAsync<long>(_lib.Data, "SELECT id FROM tracks ORDER BY title");

        Directory.CreateDirectory(_lib.PathOf("New Place"));
        Directory.Move(_lib.PathOf("Old Place/Album"), _lib.PathOf("New Place/Album"));
        var summary = await _lib.ScanAsync();

        Assert.Equal(2, summary.Moved);
        Assert.Equal(0, summary.Removed);
        Assert.Equal(0, summary.Added);
        Assert.Equal(before, await Sql.QueryAsync<long>(_lib.Data, "SELECT id FROM tracks ORDER BY title"));
        Assert.All(await Sql.QueryAsync<string>(_lib.Data, "SELECT path FROM tracks"), p => Assert.Contains("/New Place/", p));
    }

    [Fact]
    public async Task Deleted_file_disappears_and_its_empty_album_and_artist_too()
    {
        await _lib.AddAsync("a/keep.mp3", "mp3", Song("Keep", "Stays", "Kept"));
        var gone = await _lib.AddAsync("b/gone.mp3", "mp3", Song("Gone", "Leaves", "Lost"));
        await _lib.ScanAsync();

        File.Delete(gone);
        var summary = await _lib.ScanAsync();

        Assert.Equal(1, summary.Removed);
        Assert.Equal(["Keep"], await Sql.QueryAsync<string>(_lib.Data, "SELECT title FROM tracks"));
        Assert.Equal(["Kept"], await Sql.QueryAsync<string>(_lib.Data, "SELECT name FROM albums"));
        Assert.Equal(["Stays"], await Sql.QueryAsync<string>(_lib.Data, "SELECT name FROM artists"));
    }

    [Fact]
    public async Task Artist_album_counts_follow_new_files_edited_tags_and_deleted_files()
    {
        await _lib.AddAsync("One/01.flac", "flac", Song("A", "Mira", "One"));
        var moving = await _lib.AddAsync("Two/01.flac", "flac", Song("B", "Mira", "Two"));
        var leaving = await _lib.AddAsync("Comp/01.flac", "flac", new TagSet { Title = "C", Artists = ["Mira"], Album = "Hits", AlbumArtists = ["Various Artists"] });
        await _lib.AddAsync("Comp/02.flac", "flac", new TagSet { Title = "D", Artists = ["Jon"], Album = "Hits", AlbumArtists = ["Various Artists"] });
        await _lib.ScanAsync();
        Task<List<(string, long)>> Counts() => Sql.QueryAsync<(string, long)>(_lib.Data, "SELECT name, album_count FROM artists ORDER BY name");
        // Mira: her two albums and the compilation she plays on.
        Assert.Equal([("Jon", 1L), ("Mira", 3L), ("Various Artists", 1L)], await Counts());

        // Her album "Two" is credited to Jon now: the scan touches album Two, whose artists no longer include her.
        await AudioFiles.RunAsync("metaflac", ["--remove-tag=ARTIST", "--set-tag=ARTIST=Jon", moving]);
        File.SetLastWriteTimeUtc(moving, DateTime.UtcNow.AddMinutes(1));
        await _lib.ScanAsync();
        Assert.Equal([("Jon", 2L), ("Mira", 2L), ("Various Artists", 1L)], await Counts());

        File.Delete(leaving);
        await _lib.ScanAsync();
        Assert.Equal([("Jon", 2L), ("Mira", 1L), ("Various Artists", 1L)], await Counts());

        await _lib.ScanAsync(full: true);
        Assert.Equal([("Jon", 2L), ("Mira", 1L), ("Various Artists", 1L)], await Counts());
    }

    [Fact]
    public async Task Missing_music_folder_is_refused_and_the_catalog_kept()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", Song("One"));
        await _lib.ScanAsync();
        var moved = _lib.Music + "-unmounted";
        Directory.Move(_lib.Music, moved);

        var summary = await _lib.ScanAsync();

        Assert.Equal(ScanStatus.Failed, summary.Status);
        Assert.Contains(summary.Errors, e => e.Reason.Contains("does not exist or is not mounted"));
        Assert.Equal(1, summary.Tracks);
        Directory.Move(moved, _lib.Music);
    }

    [Fact]
    public async Task Empty_music_folder_does_not_wipe_the_catalog()
    {
        var file = await _lib.AddAsync("a/1.mp3", "mp3", Song("One"));
        await _lib.ScanAsync();
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);

        var summary = await _lib.ScanAsync();

        Assert.Contains(summary.Errors, e => e.Reason.Contains("refusing to remove"));
        Assert.Equal(0, summary.Removed);
        Assert.Equal(1, summary.Tracks);
    }

    [Fact]
    public async Task One_missing_folder_among_two_does_not_stop_the_other()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", Song("One"));
        var summary = await _lib.ScanAsync(music: [_lib.Music, Path.Combine(_lib.Root, "nowhere")]);
        Assert.Equal(ScanStatus.Completed, summary.Status);
        Assert.Equal(1, summary.Added);
        Assert.Contains(summary.Errors, e => e.Path.EndsWith("nowhere"));
    }

    [Fact]
    public async Task Symlink_loop_is_reported_and_the_scan_finishes()
    {
        await _lib.AddAsync("a/b/1.mp3", "mp3", Song("One"));
        File.CreateSymbolicLink(_lib.PathOf("a/b/loop"), _lib.PathOf("a"));
        Directory.CreateSymbolicLink(_lib.PathOf("self"), _lib.Music);

        var summary = await _lib.ScanAsync();

        Assert.Equal(ScanStatus.Completed, summary.Status);
        Assert.Equal(1, summary.Tracks);
        Assert.Contains(summary.Errors, e => e.Reason.Contains("loop"));
    }

    [Fact]
    public async Task Symlinked_folder_outside_the_library_is_followed()
    {
        var outside = Path.Combine(_lib.Root, "elsewhere");
        await AudioFiles.TaggedAsync(outside, "x.mp3", "mp3", Song("Outside"));
        Directory.CreateSymbolicLink(_lib.PathOf("linked"), outside);
        var summary = await _lib.ScanAsync();
        Assert.Equal(1, summary.Added);
    }

    [Fact]
    public async Task Bad_files_are_listed_with_reasons_and_good_ones_still_added()
    {
        await _lib.AddAsync("ok/1.mp3", "mp3", Song("Fine"));
        _lib.WriteBytes("bad/empty.mp3", []);
        _lib.WriteBytes("bad/text.flac", "hello"u8.ToArray());
        _lib.WriteBytes("bad/cover.txt", "not audio, ignored quietly"u8.ToArray());

        var summary = await _lib.ScanAsync();

        Assert.Equal(1, summary.Added);
        Assert.Equal(2, summary.Errors.Count);
        Assert.All(summary.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.Contains(summary.Errors, e => e.Path.EndsWith("text.flac"));
    }

    [Fact]
    public async Task Unusual_names_are_scanned_and_stored_exactly()
    {
        string[] names =
        [
            "Quotes/It's \"quoted\".mp3",
            "Emoji/🎵 Song 🎶.mp3",
            "日本語/アルバム/曲.mp3",
            string.Join('/', Enumerable.Repeat(new string('d', 120), 20)) + "/long.mp3",
        ];
        foreach (var n in names) await _lib.AddUntaggedAsync(n);

        var summary = await _lib.ScanAsync();

        Assert.Equal(4, summary.Added);
        var paths = await Sql.QueryAsync<string>(_lib.Data, "SELECT path FROM tracks");
        foreach (var n in names) Assert.Contains(_lib.PathOf(n), paths);
    }

    [Fact]
    public async Task File_deleted_or_rewritten_during_the_scan_is_reported_and_nothing_else_lost()
    {
        await _lib.AddAsync("a/stays.mp3", "mp3", Song("Stays", track: 1));
        var rewritten = await _lib.AddAsync("a/rewritten.mp3", "mp3", Song("Original", track: 2));
        var deleted = await _lib.AddAsync("a/deleted.mp3", "mp3", Song("Deleted", track: 3));
        await _lib.ScanAsync();
        File.SetLastWriteTimeUtc(rewritten, DateTime.UtcNow.AddMinutes(1));
        File.SetLastWriteTimeUtc(deleted, DateTime.UtcNow.AddMinutes(1));

        await using var harness = await _lib.ScannerAsync();
        harness.Scanner.BeforeRead = path =>
        {
            if (path == deleted) File.Delete(path);
            if (path == rewritten) File.WriteAllBytes(path, [0x00, 0x01, 0x02]);
        };
        var summary = await harness.ScanAsync();

        Assert.Equal(ScanStatus.Completed, summary.Status);
        Assert.Contains(summary.Errors, e => e.Path == deleted && e.Reason.Contains("disappeared"));
        Assert.Contains(summary.Errors, e => e.Path == rewritten);
        // The catalog keeps the last good version of the rewritten file until it reads well again.
        Assert.Equal("Original", await Sql.ScalarAsync<string>(_lib.Data, "SELECT title FROM tracks WHERE path = @rewritten", new { rewritten }));
        Assert.Contains("Stays", await Sql.QueryAsync<string>(_lib.Data, "SELECT title FROM tracks"));

        // The next scan removes the deleted one.
        var next = await _lib.ScanAsync();
        Assert.Equal(1, next.Removed);
    }

    // Pictures are read lazily (TagLibSharp's PictureLazy): the scan only needs to know one is there.
    [Theory]
    [InlineData("mp3")]
    [InlineData("flac")]
    [InlineData("m4a")]
    public async Task Embedded_picture_is_the_cover_when_the_folder_has_none(string format)
    {
        var path = await _lib.AddAsync($"pic/1.{format}", format, Song("Pic"));
        var image = await AudioFiles.CreateImageAsync(Path.Combine(_lib.Root, "art.jpg"), 64, 64);
        await AudioFiles.EmbedPictureAsync(path, image);

        await _lib.ScanAsync();

        var album = await Sql.RowAsync(_lib.Data, "SELECT cover_path, cover_track_id FROM albums");
        Assert.Null(album["cover_path"]);
        Assert.NotNull(album["cover_track_id"]);
    }

    [Fact]
    public async Task Cover_image_added_later_becomes_the_album_cover_on_rescan()
    {
        await _lib.AddAsync("Band/Double/CD1/01.mp3", "mp3", new TagSet { Title = "A", Artists = ["Band"], Album = "Double", Disc = 1 });
        await _lib.AddAsync("Solo/Album/01.mp3", "mp3", Song("B", "Solo", "Album"));
        await _lib.ScanAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT COUNT(*) FROM albums WHERE cover_path IS NOT NULL"));

        await _lib.ImageAsync("Band/Double/folder.jpg");
        await _lib.ImageAsync("Solo/Album/cover.png");
        var summary = await _lib.ScanAsync();

        Assert.Equal(2, summary.Unchanged);
        var covers = await Sql.QueryAsync<string>(_lib.Data, "SELECT cover_path FROM albums ORDER BY name");
        Assert.EndsWith("Solo/Album/cover.png", covers[0]);
        Assert.EndsWith("Band/Double/folder.jpg", covers[1]);
    }

    [Fact]
    public async Task Folder_image_priority_follows_configuration_order()
    {
        await _lib.AddAsync("al/1.mp3", "mp3", Song("One"));
        await _lib.ImageAsync("al/front.png");
        await _lib.ImageAsync("al/folder.jpg");
        await _lib.ImageAsync("al/scan-back.jpg");
        await _lib.ScanAsync();
        Assert.EndsWith("/folder.jpg", await Sql.ScalarAsync<string>(_lib.Data, "SELECT cover_path FROM albums"));
    }

    [Fact]
    public async Task Second_scan_while_one_runs_is_refused_as_busy()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", Song("One"));
        var db = _lib.Database();
        await using (await db.Dialect.TryScanLockAsync(db, default))
        {
            var summary = await _lib.ScanAsync();
            Assert.Equal(ScanStatus.Busy, summary.Status);
        }
        Assert.Equal(ScanStatus.Completed, (await _lib.ScanAsync()).Status);
    }

    [Fact]
    public async Task Interrupted_scan_is_completed_by_the_next_one()
    {
        await _lib.AddAsync("a/1.mp3", "mp3", Song("One"));
        await _lib.ScanAsync();
        // What a killed process leaves: a run still marked 'running' and stale album figures.
        await using (var c = await _lib.Database().OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(c, "INSERT INTO scan_runs (started_at, status, full_scan) VALUES ('2026-01-01', 'running', 0); UPDATE albums SET track_count = 99");
        }

        await _lib.ScanAsync();

        Assert.Equal(1L, await Sql.ScalarAsync<long>(_lib.Data, "SELECT track_count FROM albums"));
        Assert.Equal(["completed", "completed", "interrupted"], (await Sql.QueryAsync<string>(_lib.Data, "SELECT status FROM scan_runs")).Order());
    }

    [Fact]
    public async Task Folder_scan_walks_only_the_named_folders()
    {
        await _lib.AddAsync("A/1.mp3", "mp3", Song("In A", track: 1));
        var b = await _lib.AddAsync("B/1.mp3", "mp3", Song("In B", track: 1));
        await _lib.ScanAsync();
        await _lib.AddAsync("A/2.mp3", "mp3", Song("New in A", track: 2));
        await _lib.AddAsync("C/1.mp3", "mp3", Song("In C", track: 1));
        File.Delete(b);

        await using var harness = await _lib.ScannerAsync();
        var summary = await harness.Scanner.ScanAsync(false, default, [_lib.PathOf("A")]);

        Assert.Equal(1, summary.Added);
        Assert.Equal(0, summary.Removed); // B was not looked at: its track stays until B is scanned
        Assert.Equal(["In A", "In B", "New in A"], (await Sql.QueryAsync<string>(_lib.Data, "SELECT title FROM tracks")).Order());

        summary = await harness.Scanner.ScanAsync(false, default, [_lib.PathOf("B"), _lib.PathOf("C")]);
        Assert.Equal(1, summary.Added);
        Assert.Equal(1, summary.Removed);
    }

    [Fact]
    public async Task Folder_scan_of_a_deleted_folder_removes_its_tracks_from_the_parent()
    {
        var gone = await _lib.AddAsync("Artist/Gone/1.mp3", "mp3", Song("Gone", album: "Gone"));
        await _lib.AddAsync("Artist/Kept/1.mp3", "mp3", Song("Kept", album: "Kept"));
        await _lib.ScanAsync();
        Directory.Delete(Path.GetDirectoryName(gone)!, recursive: true);

        await using var harness = await _lib.ScannerAsync();
        var summary = await harness.Scanner.ScanAsync(false, default, [_lib.PathOf("Artist/Gone")]);

        Assert.Equal(1, summary.Removed);
        Assert.Equal(["Kept"], await Sql.QueryAsync<string>(_lib.Data, "SELECT title FROM tracks"));
        Assert.Equal(["Kept"], await Sql.QueryAsync<string>(_lib.Data, "SELECT name FROM albums"));
    }

    [Theory]
    [InlineData("/m/a,/m/a/b,/m/c", "/m/a,/m/c")]
    [InlineData("/m/a b,/m/a/x,/m/a", "/m/a,/m/a b")]
    [InlineData("/m/a/,/m/a", "/m/a")]
    public void Outermost_folders_drop_those_inside_another(string input, string expected) =>
        Assert.Equal(expected.Split(','), Sillon.Library.Scanner.Outermost(input.Split(',')));

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _lib.DisposeAsync();
}
