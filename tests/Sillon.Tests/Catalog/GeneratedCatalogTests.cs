using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Library;
using Sillon.Subsonic;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Catalog;

/// <summary>
/// A generated catalog of 200,000 tracks, made by the real `sillon catalog generate`, served by the
/// real server: the code paths of a 13-million-track catalog (broad searches past the ranked
/// limit, keyset pages, the artist shelf), checked for correctness only. Timings live in bench/.
/// </summary>
public sealed class GeneratedCatalogFixture : IAsyncLifetime
{
    public const int Tracks = 200_000;
    public const string Password = "s3cret-pass";
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    public JsonElement Summary { get; private set; }

    public async Task InitializeAsync()
    {
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", Tracks.ToString(), "--seed", "42", "--data", Library.Data, "--json"],
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Summary = JsonDocument.Parse(run.Stdout).RootElement.Clone();
        Assert.Equal(Tracks, await Sql.ScalarAsync<long>(Library.Data, "SELECT COUNT(*) FROM tracks"));
        Server = await SillonServer.StartAsync(Library, new Dictionary<string, string?> { ["Subsonic:ArtistIndexLimit"] = "1000" });
        await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        var (result, _) = await Server.Services.GetRequiredService<Users>().AddAsync("alice", Password, true, CancellationToken.None);
        Assert.Equal(UserResult.Ok, result);
    }

    public async Task<JsonElement> SubsonicAsync(string endpoint, string query)
    {
        using var http = Server.Client();
        var body = await http.GetStringAsync($"/rest/{endpoint}?u=alice&p={Password}&v=1.16.1&c=tests&f=json&{query}");
        var response = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response").Clone();
        Assert.True(response.GetProperty("status").GetString() == "ok", $"{endpoint}?{query}: {body}");
        return response;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}

public sealed class GeneratedCatalogTests(GeneratedCatalogFixture fx) : IClassFixture<GeneratedCatalogFixture>
{
    private static List<JsonElement> Items(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var list) ? [.. list.EnumerateArray()] : [];

    private static string Fold(string s) => Names.RemoveDiacritics(s).ToLowerInvariant();

    [Fact]
    public async Task The_generated_catalog_has_every_track_asked_for_in_many_scripts_with_discs_compilations_and_isrcs()
    {
        Assert.Equal(GeneratedCatalogFixture.Tracks, fx.Summary.GetProperty("tracks").GetInt64());
        var data = fx.Library.Data;
        Assert.Equal(fx.Summary.GetProperty("albums").GetInt64(), await Sql.ScalarAsync<long>(data, "SELECT COUNT(*) FROM albums"));
        var titles = await Sql.QueryAsync<string>(data, "SELECT title FROM tracks WHERE id % 97 = 0");
        foreach (var script in (string[])[@"\p{IsCJKUnifiedIdeographs}", @"\p{IsCyrillic}", @"\p{IsArabic}", @"\p{IsHangulSyllables}", @"\p{IsGreekandCoptic}", "[éèàöåøñüœ]"])
            Assert.Contains(titles, t => Regex.IsMatch(t, script));
        Assert.True(await Sql.ScalarAsync<long>(data, "SELECT COUNT(*) FROM albums WHERE disc_count > 1") > 100);
        Assert.True(await Sql.ScalarAsync<long>(data, "SELECT COUNT(*) FROM albums WHERE compilation = 1") > 100);
        // A compilation's tracks are by other artists than the album's.
        Assert.True(await Sql.ScalarAsync<long>(data,
            "SELECT COUNT(*) FROM tracks WHERE compilation = 1 AND display_artist <> display_album_artist") > 100);
        var isrcs = await Sql.QueryAsync<string>(data, "SELECT isrc FROM tracks");
        Assert.All(isrcs.Take(1000), i => Assert.Matches("^[A-Z]{2}[A-Z0-9]{3}[0-9]{2}[0-9]{5}$", i));
        Assert.Equal(isrcs.Count, isrcs.Distinct().Count());
        Assert.True(await Sql.ScalarAsync<long>(data, "SELECT COUNT(DISTINCT genre_id) FROM track_genres") >= 40);
        // Zipf: the most popular artist is far above the median one.
        var popularity = await Sql.QueryAsync<long>(data, "SELECT popularity FROM artists ORDER BY popularity DESC");
        Assert.True(popularity[0] > 100 * popularity[popularity.Count / 2], $"top {popularity[0]}, median {popularity[popularity.Count / 2]}");
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_catalog_and_another_seed_another()
    {
        async Task<string> DigestAsync(int seed)
        {
            await using var lib = new TestLibrary();
            var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "3000", "--seed", seed.ToString(), "--data", lib.Data]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Contains("Generated 3,000 tracks", run.Stdout);
            var rows = await Sql.QueryAsync<string>(lib.Data, """
                SELECT t.id || '|' || t.title || '|' || t.display_artist || '|' || a.name || '|' || t.isrc || '|' || t.popularity || '|' || t.disc_number
                FROM tracks t JOIN albums a ON a.id = t.album_id ORDER BY t.id
                """);
            return string.Join('\n', rows);
        }
        var first = await DigestAsync(7);
        Assert.Equal(first, await DigestAsync(7));
        Assert.NotEqual(first, await DigestAsync(8));
    }

    [Fact]
    public async Task Generating_into_a_catalog_that_has_tracks_is_refused_and_changes_nothing()
    {
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "10", "--data", fx.Library.Data]);
        Assert.Equal(1, run.ExitCode);
        Assert.Matches("already holds [0-9,]+ tracks", run.Stderr);
        Assert.Equal(GeneratedCatalogFixture.Tracks, await Sql.ScalarAsync<long>(fx.Library.Data, "SELECT COUNT(*) FROM tracks"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1000000000")]
    [InlineData("many")]
    public async Task A_track_count_out_of_range_is_a_usage_error(string tracks)
    {
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", tracks, "--data", lib.Data]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--tracks", run.Stderr);
        Assert.False(File.Exists(Path.Combine(lib.Data, "sillon.db")) && await Sql.ScalarAsync<long>(lib.Data, "SELECT COUNT(*) FROM tracks") > 0);
    }

    [Fact]
    public async Task A_sync_page_goes_gzipped_to_a_client_that_takes_it_and_a_small_page_and_the_audio_as_they_are()
    {
        using var http = fx.Server.Client();
        var auth = $"u=alice&p={GeneratedCatalogFixture.Password}&v=1.16.1&c=tests";
        var page = $"/rest/search3?{auth}&f=json&query=&songCount=500&songOffset=2000&artistCount=0&albumCount=0";

        var (none, plain) = await Gzip.GetAsync(http, page, null);
        var (gzip, compressed) = await Gzip.GetAsync(http, page, "gzip, deflate, br");

        Assert.Empty(none);
        Assert.True(plain.Length >= Sillon.Subsonic.SubsonicEndpoints.CompressedFromBytes, $"{plain.Length} bytes");
        Assert.Equal(["gzip"], gzip);
        Assert.True(compressed.Length < plain.Length / 3, $"{compressed.Length} bytes compressed from {plain.Length}");
        Assert.Equal(plain, await Gzip.InflateAsync(compressed));
        // A big answer small enough for the response cache is compressed once there: the same bytes when asked again.
        var kept = $"/rest/search3?{auth}&f=json&query=&songCount=150&songOffset=4000&artistCount=0&albumCount=0";
        var (computed, first) = await Gzip.GetAsync(http, kept, "gzip");
        var (again, second) = await Gzip.GetAsync(http, kept, "gzip");
        var (_, keptPlain) = await Gzip.GetAsync(http, kept, null);
        Assert.InRange(keptPlain.Length, Sillon.Subsonic.SubsonicEndpoints.CompressedFromBytes, 256 * 1024);
        Assert.Equal(["gzip"], computed);
        Assert.Equal(["gzip"], again);
        Assert.Equal(first, second);
        Assert.Equal(keptPlain, await Gzip.InflateAsync(second));
        var (small, _) = await Gzip.GetAsync(http, $"/rest/search3?{auth}&f=json&query=&songCount=5&artistCount=0&albumCount=0", "gzip");
        Assert.Empty(small);
        using var audio = new HttpRequestMessage(HttpMethod.Get, $"/rest/stream?{auth}&id=tr-12345&format=raw");
        audio.Headers.AcceptEncoding.ParseAdd("gzip");
        using var streamed = await http.SendAsync(audio);
        Assert.Empty(streamed.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task A_generated_track_streams_the_real_audio_it_points_at_with_ranges()
    {
        var media = await Sql.ScalarAsync<string>(fx.Library.Data, "SELECT media_path FROM tracks WHERE id = 12345");
        var bytes = await File.ReadAllBytesAsync(media);
        using var http = fx.Server.Client();
        var whole = await http.GetByteArrayAsync($"/rest/stream?u=alice&p={GeneratedCatalogFixture.Password}&v=1.16.1&c=tests&id=tr-12345&format=raw");
        Assert.Equal(bytes, whole);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/rest/stream?u=alice&p={GeneratedCatalogFixture.Password}&v=1.16.1&c=tests&id=tr-12345&format=raw");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var partial = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[1000..2000], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Search_puts_exact_titles_first_most_popular_first_then_the_other_matches()
    {
        // The commonest one-word title: many tracks bear it exactly, many more contain it.
        var word = await Sql.ScalarAsync<string>(fx.Library.Data, """
            SELECT sort_title FROM tracks WHERE sort_title NOT LIKE '% %' AND length(sort_title) > 3 GROUP BY sort_title ORDER BY COUNT(*) DESC LIMIT 1
            """);
        var exact = await Sql.QueryAsync<long>(fx.Library.Data, "SELECT popularity FROM tracks WHERE sort_title = @word ORDER BY popularity DESC", new { word });
        Assert.InRange(exact.Count, 2, 450);
        var r = await fx.SubsonicAsync("search3", $"query={Uri.EscapeDataString(word)}&songCount={exact.Count + 50}&artistCount=0&albumCount=0");
        var songs = Items(r.GetProperty("searchResult3"), "song");
        Assert.Equal(exact.Count + 50, songs.Count);
        var exactCount = exact.Count;
        Assert.All(songs.Take(exactCount), s => Assert.Equal(word, Names.SortKey(s.GetProperty("title").GetString()!)));
        Assert.All(songs.Skip(exactCount), s => Assert.NotEqual(word, Names.SortKey(s.GetProperty("title").GetString()!)));
        var ids = songs.Take(exactCount).Select(s => long.Parse(s.GetProperty("id").GetString()!["tr-".Length..])).ToList();
        var popularity = await Sql.QueryAsync<long>(fx.Library.Data,
            $"SELECT popularity FROM tracks WHERE id IN ({string.Join(',', ids)})");
        Assert.Equal(exact.Take(exactCount), popularity.OrderByDescending(p => p));
    }

    [Fact]
    public async Task An_artists_exact_name_brings_that_artist_and_their_tracks_first()
    {
        var name = await Sql.ScalarAsync<string>(fx.Library.Data, "SELECT name FROM artists WHERE id = 3");
        var r = await fx.SubsonicAsync("search3", $"query={Uri.EscapeDataString(name)}&songCount=5&artistCount=1&albumCount=3");
        var result = r.GetProperty("searchResult3");
        var key = Names.SortKey(name);
        Assert.Equal("ar-3", Items(result, "artist")[0].GetProperty("id").GetString());
        // Albums named exactly so come first, then the albums of artists named so; tracks likewise.
        Assert.All(Items(result, "album"), a => Assert.True(
            Names.SortKey(a.GetProperty("name").GetString()!) == key || Names.SortKey(a.GetProperty("artist").GetString()!) == key, a.ToString()));
        Assert.All(Items(result, "song"), s => Assert.True(
            Names.SortKey(s.GetProperty("title").GetString()!) == key || Names.SortKey(s.GetProperty("artist").GetString()!) == key, s.ToString()));
    }

    [Theory]
    [InlineData("lo")]     // tens of thousands of matches: lazy tiers in id order
    [InlineData("ete")]    // accents aside: été
    [InlineData("зв")]     // Cyrillic prefix
    public async Task Search_pages_never_repeat_or_skip_and_every_hit_matches(string query)
    {
        var seen = new List<string>();
        for (var offset = 0; offset < 3000; offset += 500)
        {
            var r = await fx.SubsonicAsync("search3", $"query={Uri.EscapeDataString(query)}&songCount=500&songOffset={offset}&artistCount=0&albumCount=0");
            var songs = Items(r.GetProperty("searchResult3"), "song");
            foreach (var s in songs)
            {
                var words = $"{s.GetProperty("title").GetString()} {s.GetProperty("artist").GetString()} {s.GetProperty("album").GetString()}";
                Assert.Contains(Regex.Split(Fold(words), @"[^\p{L}\p{N}]+"), w => w.StartsWith(Fold(query), StringComparison.Ordinal));
                seen.Add(s.GetProperty("id").GetString()!);
            }
            if (songs.Count < 500) break;
        }
        Assert.NotEmpty(seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("alphabeticalByName", "SELECT id FROM albums ORDER BY sort_name, id")]
    [InlineData("newest", "SELECT id FROM albums ORDER BY created_at DESC, id DESC")]
    [InlineData("alphabeticalByArtist", "SELECT id FROM albums ORDER BY lower(display_artist), COALESCE(year, 0), sort_name, id")]
    [InlineData("byYear&fromYear=2020&toYear=1990", "SELECT id FROM albums WHERE year BETWEEN 1990 AND 2020 ORDER BY year DESC, sort_name, id")]
    [InlineData("byYear&fromYear=1990&toYear=2020", "SELECT id FROM albums WHERE year BETWEEN 1990 AND 2020 ORDER BY year, sort_name, id")]
    [InlineData("byGenre&genre=rock", "SELECT id FROM albums WHERE lower(genre) = 'rock' ORDER BY sort_name, id")]
    public async Task Album_lists_page_through_the_whole_catalog_in_order_once(string type, string expectedSql)
    {
        var expected = (await Sql.QueryAsync<long>(fx.Library.Data, expectedSql)).Select(id => $"al-{id}").ToList();
        var pages = new List<string>();
        for (var offset = 0; ; offset += 500)
        {
            var r = await fx.SubsonicAsync("getAlbumList2", $"type={type}&size=500&offset={offset}");
            var albums = Items(r.GetProperty("albumList2"), "album").Select(a => a.GetProperty("id").GetString()!).ToList();
            pages.AddRange(albums);
            if (albums.Count < 500) break;
        }
        Assert.Equal(expected, pages);
        // A deep page asked for out of the blue (no page before it) is the same page: from the nearest
        // anchor, on either side of one, and near the end.
        const int every = global::Sillon.Catalog.KeysetPages.AnchorEvery;
        foreach (var deep in new[] { expected.Count / 2 + 7, every - 1, every, every + 1, 3 * every - 1, expected.Count - 5 })
        {
            var jump = await fx.SubsonicAsync("getAlbumList2", $"type={type}&size=20&offset={deep}");
            Assert.Equal(expected.Skip(deep).Take(20), Items(jump.GetProperty("albumList2"), "album").Select(a => a.GetProperty("id").GetString()!));
        }
    }

    // The web player's lists (REST): the same promise as the Subsonic lists, with the total.
    [Theory]
    [InlineData("albums?sort=name", "SELECT id FROM albums ORDER BY sort_name, id", "al")]
    [InlineData("albums?sort=newest", "SELECT id FROM albums ORDER BY created_at DESC, id DESC", "al")]
    [InlineData("albums?sort=year", "SELECT id FROM albums ORDER BY COALESCE(year, 0), sort_name, id", "al")]
    [InlineData("albums?sort=artist", "SELECT id FROM albums ORDER BY lower(display_artist), COALESCE(year, 0), sort_name, id", "al")]
    [InlineData("artists?", "SELECT id FROM artists ORDER BY sort_name, id", "ar")]
    [InlineData("tracks?", "SELECT id FROM tracks ORDER BY id", "tr")]
    public async Task Rest_lists_page_through_the_whole_catalog_in_order_once_with_the_total(string list, string expectedSql, string prefix)
    {
        using var http = await fx.Server.LoginAsync("rest-lister", "rest-pass-123", admin: false);
        var expected = (await Sql.QueryAsync<long>(fx.Library.Data, expectedSql)).Select(id => $"{prefix}-{id}").ToList();
        async Task<(List<string> Ids, long Total)> PageAsync(int offset, int limit)
        {
            var page = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/{list}&offset={offset}&limit={limit}")).RootElement;
            return ([.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)], page.GetProperty("total").GetInt64());
        }
        var pages = new List<string>();
        for (var offset = 0; ; offset += 500)
        {
            var (ids, total) = await PageAsync(offset, 500);
            Assert.Equal(expected.Count, total);
            pages.AddRange(ids);
            if (ids.Count < 500) break;
        }
        Assert.Equal(expected, pages);
        // Jumps to a deep page (the web player's scroll bar, its letter index) land on the same rows.
        const int every = global::Sillon.Catalog.KeysetPages.AnchorEvery;
        foreach (var deep in new[] { expected.Count / 2 + 7, every - 1, every, every + 1, expected.Count - 5 })
            Assert.Equal(expected.Skip(deep).Take(20), (await PageAsync(deep, 20)).Ids);
        Assert.Empty((await PageAsync(expected.Count, 20)).Ids);
    }

    [Fact]
    public async Task Album_pages_by_genre_keep_one_plan_whatever_the_genre_and_leave_the_connection_as_they_found_it()
    {
        var db = fx.Server.Services.GetRequiredService<Database>();
        var pages = fx.Server.Services.GetRequiredService<KeysetPages>();
        await using var c = await db.OpenAsync();
        var genres = (await c.QueryAsync<string>("SELECT DISTINCT lower(genre) FROM albums WHERE genre IS NOT NULL ORDER BY 1 LIMIT 15")).ToList();
        Assert.Equal(15, genres.Count);
        foreach (var genre in genres)
        {
            var page = await pages.PlanAsync(c, "test|genre|" + genre, "albums x", "lower(x.genre) = lower(@genre)", [new("x.sort_name"), new("x.id")],
                new { genre }, 20, 0, CancellationToken.None);
            var albums = await SubsonicQueries.AlbumPageAsync(c, 1, page, CancellationToken.None);
            Assert.NotEmpty(albums);
            Assert.All(albums, a => Assert.Equal(genre, a.Genre?.ToLowerInvariant()));
        }
        if (!db.IsPostgres) return;
        // Npgsql prepares a statement on its fifth use; PostgreSQL would then plan it anew for its
        // first five executions at least, and for every one after when it judges the genres too uneven.
        var (generic, custom) = await c.QuerySingleAsync<(long, long)>("""
            SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0) FROM pg_prepared_statements
            WHERE statement LIKE '%lower(x.genre) = lower(%'
            """);
        Assert.True(generic >= 5, $"{generic} executions of a generic plan");
        Assert.Equal(0, custom);
        Assert.Equal("auto", await c.ExecuteScalarAsync<string>("SHOW plan_cache_mode"));
    }

    [Fact]
    public async Task Every_albums_stored_artists_are_its_linked_album_artists()
    {
        var albums = await Sql.AlbumArtistsBothWaysAsync(fx.Library.Data);
        Assert.Equal(fx.Summary.GetProperty("albums").GetInt64(), albums.Count);
        Assert.All(albums, a =>
        {
            Assert.Single(a.Stored);
            Assert.Equal(a.Linked, a.Stored);
        });
    }

    [Fact]
    public async Task The_web_players_artist_list_counts_the_albums_its_artist_page_and_subsonic_show()
    {
        // An artist's albums are those credited to them and those they play on (compilations): the
        // list's count, the artist page's albums and getArtist's albumCount must agree.
        using var http = await fx.Server.LoginAsync("rest-counter", "rest-pass-123", admin: false);
        var page = JsonDocument.Parse(await http.GetStringAsync("/api/v1/artists?limit=500")).RootElement.GetProperty("items").EnumerateArray().ToList();
        var albumsOf = global::Sillon.Catalog.ArtistAlbums.Ids("ar.id");
        var expected = (await Sql.QueryAsync<(long Id, long Albums, long Credited)>(fx.Library.Data, $"""
            SELECT ar.id, (SELECT COUNT(*) FROM ({albumsOf}) x),
                (SELECT COUNT(*) FROM album_artists aa WHERE aa.artist_id = ar.id)
            FROM artists ar
            """)).ToDictionary(r => $"ar-{r.Id}");
        Assert.Equal(500, page.Count);
        Assert.All(page, a => Assert.Equal(expected[a.GetProperty("id").GetString()!].Albums, a.GetProperty("albumCount").GetInt64()));
        // The page holds artists who appear on compilations, so the two counts differ for some.
        Assert.Contains(page, a => expected[a.GetProperty("id").GetString()!] is var e && e.Albums > e.Credited);
        foreach (var a in page.Take(5))
        {
            var id = a.GetProperty("id").GetString()!;
            var detail = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/artists/{id}")).RootElement;
            Assert.Equal(a.GetProperty("albumCount").GetInt32(), detail.GetProperty("albums").GetArrayLength());
            var subsonic = await fx.SubsonicAsync("getArtist", $"id={id}");
            Assert.Equal(a.GetProperty("albumCount").GetInt32(), subsonic.GetProperty("artist").GetProperty("albumCount").GetInt32());
        }
    }

    [Fact]
    public async Task Rest_random_albums_are_distinct_and_differ_from_one_call_to_the_next()
    {
        using var http = await fx.Server.LoginAsync("rest-random", "rest-pass-123", admin: false);
        async Task<List<string>> DrawAsync() =>
            [.. JsonDocument.Parse(await http.GetStringAsync("/api/v1/albums?sort=random&limit=50")).RootElement
                .GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];
        var first = await DrawAsync();
        Assert.Equal(50, first.Count);
        Assert.Equal(50, first.Distinct().Count());
        Assert.NotEqual(first, await DrawAsync());
    }

    [Fact]
    public async Task Random_albums_are_distinct_and_differ_from_one_call_to_the_next()
    {
        async Task<List<string>> DrawAsync() =>
            Items((await fx.SubsonicAsync("getAlbumList2", "type=random&size=50")).GetProperty("albumList2"), "album")
                .Select(a => a.GetProperty("id").GetString()!).ToList();
        var first = await DrawAsync();
        var second = await DrawAsync();
        Assert.Equal(50, first.Count);
        Assert.Equal(50, first.Distinct().Count());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Random_albums_fill_the_page_where_most_album_ids_are_gone()
    {
        // Its own catalog: this test deletes nine albums in ten, leaving their ids far apart, as
        // years of rescans can. 5,000 tracks make about 550 albums; about 55 are left.
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "5000", "--data", lib.Data]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        const string Bump = global::Sillon.Catalog.CatalogChanges.BumpSql;
        // Keeps the albums whose id is a multiple of keepOneIn; the ids of those left.
        async Task<HashSet<string>> KeepOneAlbumInAsync(int keepOneIn)
        {
            await using (var c = await lib.Database().OpenAsync())
                await Dapper.SqlMapper.ExecuteAsync(c, $"""
                    DELETE FROM tracks WHERE album_id % {keepOneIn} <> 0;
                    DELETE FROM albums WHERE id % {keepOneIn} <> 0;
                    {Bump}
                    """);
            return (await Sql.QueryAsync<long>(lib.Data, "SELECT id FROM albums")).Select(id => $"al-{id}").ToHashSet();
        }
        var left = await KeepOneAlbumInAsync(10);
        Assert.InRange(left.Count, 41, 100);
        await using var server = await SillonServer.StartAsync(lib);
        using var http = await server.LoginAsync();
        async Task<List<string>> SubsonicAsync(int size)
        {
            var body = await http.GetStringAsync($"/rest/getAlbumList2?u=alice&p=s3cret-pass&v=1.16.1&c=tests&f=json&type=random&size={size}");
            var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response");
            Assert.True(r.GetProperty("status").GetString() == "ok", body);
            return [.. Items(r.GetProperty("albumList2"), "album").Select(a => a.GetProperty("id").GetString()!)];
        }
        async Task<List<string>> RestAsync(int limit) =>
            [.. JsonDocument.Parse(await http.GetStringAsync($"/api/v1/albums?sort=random&limit={limit}")).RootElement
                .GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];

        foreach (var drawn in new[] { await SubsonicAsync(40), await RestAsync(40) })
        {
            Assert.Equal(40, drawn.Count);
            Assert.Equal(40, drawn.Distinct().Count());
            Assert.Subset(left, drawn.ToHashSet());
        }
        // More asked for than there are: every album, once each.
        var every = await SubsonicAsync(500);
        Assert.Equal(left.Count, every.Count);
        Assert.Equal(left, every.ToHashSet());
        Assert.Equal(left.OrderBy(id => id), (await RestAsync(500)).OrderBy(id => id));

        // One album in a hundred: three draws rarely fill a page, seeks from random points and then
        // a fill in id order make up the rest; none brings back an album found before it. A page
        // as large as the albums there are holds every one of them, every time.
        var few = await KeepOneAlbumInAsync(100);
        Assert.InRange(few.Count, 4, 10);
        for (var i = 0; i < 20; i++)
        {
            var drawn = await SubsonicAsync(few.Count);
            Assert.Equal(few.Count, drawn.Count);
            Assert.Equal(few, drawn.ToHashSet());
        }
    }

    [Fact]
    public async Task Deep_jumps_are_served_at_once_after_a_catalog_change_and_exact_again_once_anchored_anew()
    {
        // Its own catalog: this test renames albums. 5,000 tracks make about 550 albums, two anchors.
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "5000", "--data", lib.Data]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        await using var server = await SillonServer.StartAsync(lib);
        using var http = await server.LoginAsync();
        const string Order = "SELECT id FROM albums ORDER BY sort_name, id";
        var deep = global::Sillon.Catalog.KeysetPages.AnchorEvery + 10;
        async Task<List<string>> JumpAsync()
        {
            var body = await http.GetStringAsync($"/rest/getAlbumList2?u=alice&p=s3cret-pass&v=1.16.1&c=tests&f=json&type=alphabeticalByName&size=20&offset={deep}");
            var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response");
            Assert.True(r.GetProperty("status").GetString() == "ok", body);
            return [.. Items(r.GetProperty("albumList2"), "album").Select(a => a.GetProperty("id").GetString()!)];
        }
        async Task<List<string>> ExpectedAsync() => [.. (await Sql.QueryAsync<long>(lib.Data, Order)).Skip(deep).Take(20).Select(id => $"al-{id}")];
        Assert.Equal(await ExpectedAsync(), await JumpAsync());

        // Five albums from before the first anchor move to the end of the list, as a tag edit would.
        const string Bump = global::Sillon.Catalog.CatalogChanges.BumpSql;
        await using (var c = await lib.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, $"""
                UPDATE albums SET sort_name = 'zzzz ' || sort_name WHERE id IN (SELECT id FROM albums ORDER BY sort_name, id LIMIT 5);
                {Bump}
                """);
        var expected = await ExpectedAsync();
        var all = (await Sql.QueryAsync<long>(lib.Data, Order)).Select(id => $"al-{id}").ToList();
        // At once: from the anchors of before, a run of the new order at most five rows off (earlier:
        // five rows before the anchor left).
        var first = await JumpAsync();
        var at = all.IndexOf(first[0]);
        Assert.InRange(at, deep - 5, deep);
        Assert.Equal(all.Skip(at).Take(20), first);
        // Then exact, once the anchors are read again in the background.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!expected.SequenceEqual(await JumpAsync()))
        {
            Assert.True(DateTime.UtcNow < deadline, "the anchors were not read again after the catalog changed");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_sync_by_search3_pages_skips_nothing_when_tracks_are_taken_down_meanwhile()
    {
        // Its own catalog: this test deletes tracks.
        await using var lib = new TestLibrary();
        var run = await SillonCli.RunAsync(["catalog", "generate", "--tracks", "5000", "--data", lib.Data]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        await using var server = await SillonServer.StartAsync(lib);
        using var http = await server.LoginAsync();
        var seen = new List<string>();
        async Task PageAsync(int offset)
        {
            var body = await http.GetStringAsync($"/rest/search3?u=alice&p=s3cret-pass&v=1.16.1&c=tests&f=json&query=&songCount=500&songOffset={offset}&artistCount=0&albumCount=0");
            var r = JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response").GetProperty("searchResult3");
            seen.AddRange(Items(r, "song").Select(s => s.GetProperty("id").GetString()!));
        }
        await PageAsync(0);
        await PageAsync(500);
        // A takedown removes tracks already synced: with OFFSET pages, the next page would skip as many.
        await using (var c = await lib.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, "DELETE FROM tracks WHERE id <= 10");
        await PageAsync(1000);
        await PageAsync(1500);
        Assert.Equal(Enumerable.Range(1, 2000).Select(id => $"tr-{id}"), seen);
    }

    [Fact]
    public async Task GetArtists_holds_the_most_popular_artists_past_the_limit()
    {
        var r = await fx.SubsonicAsync("getArtists", "");
        var artists = r.GetProperty("artists").GetProperty("index").EnumerateArray()
            .SelectMany(i => i.GetProperty("artist").EnumerateArray()).Select(a => a.GetProperty("id").GetString()!).ToList();
        Assert.Equal(1000, artists.Count);
        Assert.Contains("ar-1", artists);
        var top = await Sql.QueryAsync<long>(fx.Library.Data, "SELECT id FROM artists ORDER BY popularity DESC, id LIMIT 1000");
        Assert.Equal(top.Select(id => $"ar-{id}").Order(), artists.Order());
    }

    [Fact]
    public async Task Rest_search_answers_artists_albums_and_tracks_and_refuses_bad_queries()
    {
        using var http = await fx.Server.LoginAsync("rest-user", "rest-pass-123", admin: false);
        var found = JsonDocument.Parse(await http.GetStringAsync("/api/v1/search?q=lo&limit=5")).RootElement;
        Assert.Equal(5, found.GetProperty("tracks").GetArrayLength());
        Assert.Equal(5, found.GetProperty("albums").GetArrayLength());
        Assert.True(found.GetProperty("artists").GetArrayLength() > 0);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/search")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/api/v1/search?q={new string('a', 5000)}")).StatusCode);
        // FTS5 syntax typed by a user is text, never an error.
        var hostile = await http.GetAsync($"/api/v1/search?q={Uri.EscapeDataString("\"AND OR NEAR( * col:x")}&limit=500&offset=99999999");
        Assert.Equal(HttpStatusCode.OK, hostile.StatusCode);
    }
}
