using System.Net;
using System.Text.Json;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Subsonic;

/// <summary>Read endpoints over the shared library: every answer valid against its OpenSubsonic schema, in JSON and in well-formed XML.</summary>
public sealed class SubsonicBrowsingTests(SubsonicFixture fx) : IClassFixture<SubsonicFixture>
{
    /// <summary>Calls in JSON and XML; the JSON must validate against the endpoint's schema and succeed. Returns the JSON response.</summary>
    private async Task<JsonElement> ValidAsync(string endpoint, string query = "", string user = "alice")
    {
        using var response = await fx.GetAsync(endpoint, query, user);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(body);
        var errors = SchemaValidator.Validate(endpoint, doc.RootElement);
        Assert.True(errors is null, $"{endpoint}?{query} does not match its schema:\n{errors}\n{body}");
        var r = doc.RootElement.GetProperty("subsonic-response").Clone();
        Assert.True(r.GetProperty("status").GetString() == "ok", body + "\n" + fx.ServerErrors());
        var xml = await fx.XmlAsync(endpoint, query, user);
        Assert.Equal("subsonic-response", xml.Name.LocalName);
        Assert.Equal("http://subsonic.org/restapi", xml.Name.NamespaceName);
        Assert.Equal("ok", xml.Attribute("status")?.Value);
        // Random and time-dependent answers differ between two calls; their shapes are still compared by the schema above.
        if (!query.Contains("random") && endpoint is not ("getRandomSongs" or "getSimilarSongs" or "getSimilarSongs2" or "getNowPlaying"))
        {
            var differences = XmlMatchesJson.Differences(r, xml);
            Assert.True(differences.Count == 0, $"{endpoint}?{query}: XML and JSON differ:\n{string.Join("\n", differences.Take(20))}");
        }
        return r;
    }

    private async Task<string> Fill(string query)
    {
        if (query.Contains("{track}")) query = query.Replace("{track}", await fx.TrackIdAsync("Crazy in Love"));
        if (query.Contains("{album}")) query = query.Replace("{album}", await fx.AlbumIdAsync("Ágætis byrjun"));
        if (query.Contains("{artist}")) query = query.Replace("{artist}", await fx.ArtistIdAsync("Sigur Rós"));
        if (query.Contains("{folder}"))
            query = query.Replace("{folder}", "fo-" + await Sql.ScalarAsync<long>(fx.Library.Data, "SELECT id FROM folders WHERE name = 'Sigur Rós'"));
        return query;
    }

    public static TheoryData<string, string> ReadEndpoints => new()
    {
        { "ping", "" }, { "getLicense", "" }, { "getOpenSubsonicExtensions", "" }, { "tokenInfo", "" }, { "getMusicFolders", "" },
        { "getIndexes", "" }, { "getMusicDirectory", "id={folder}" }, { "getMusicDirectory", "id={album}" }, { "getMusicDirectory", "id={artist}" },
        { "getGenres", "" }, { "getArtists", "" }, { "getArtist", "id={artist}" }, { "getAlbum", "id={album}" }, { "getSong", "id={track}" },
        { "getArtistInfo", "id={artist}" }, { "getArtistInfo2", "id={artist}" }, { "getAlbumInfo", "id={album}" }, { "getAlbumInfo2", "id={album}" },
        { "getSimilarSongs", "id={track}" }, { "getSimilarSongs2", "id={artist}" }, { "getTopSongs", "artist=Sigur%20R%C3%B3s" },
        { "getAlbumList", "type=newest" }, { "getAlbumList2", "type=alphabeticalByName" }, { "getRandomSongs", "size=3" },
        { "getSongsByGenre", "genre=Post-Rock" }, { "getNowPlaying", "" }, { "getStarred", "" }, { "getStarred2", "" },
        { "search2", "query=sigur" }, { "search3", "query=crazy" }, { "search3", "query=" }, { "getPlaylists", "" }, { "getBookmarks", "" },
        { "getShares", "" }, { "getInternetRadioStations", "" }, { "getUser", "username=alice" }, { "getUsers", "" }, { "getScanStatus", "" },
        { "getLyrics", "artist=Beyonc%C3%A9&title=Crazy%20in%20Love" }, { "getLyricsBySongId", "id={track}" },
    };

    [Theory]
    [MemberData(nameof(ReadEndpoints))]
    public async Task Every_read_endpoint_answers_in_the_shape_of_its_schema(string endpoint, string query)
    {
        await ValidAsync(endpoint, await Fill(query));
    }

    [Theory]
    [InlineData("random")]
    [InlineData("newest")]
    [InlineData("highest")]
    [InlineData("frequent")]
    [InlineData("recent")]
    [InlineData("alphabeticalByName")]
    [InlineData("alphabeticalByArtist")]
    [InlineData("starred")]
    [InlineData("byYear&fromYear=1990&toYear=2005")]
    [InlineData("byYear&fromYear=2005&toYear=1990")]
    [InlineData("byGenre&genre=post-rock")]
    public async Task Album_lists_of_every_type_are_valid(string type)
    {
        var r = await ValidAsync("getAlbumList2", "type=" + type);
        var albums = r.GetProperty("albumList2").GetProperty("album").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        switch (type)
        {
            case "alphabeticalByName": Assert.Equal(["Ágætis byrjun", "Dangerously in Love", "Singles", "Summer Hits", "教育"], albums); break;
            case "byYear&fromYear=1990&toYear=2005": Assert.Equal(["Ágætis byrjun", "Dangerously in Love", "教育"], albums); break;
            case "byYear&fromYear=2005&toYear=1990": Assert.Equal(["教育", "Dangerously in Love", "Ágætis byrjun"], albums); break;
            case "byGenre&genre=post-rock": Assert.Equal(["Ágætis byrjun"], albums); break;
            case "random" or "newest" or "alphabeticalByArtist": Assert.Equal(5, albums.Count); break;
        }
        await ValidAsync("getAlbumList", "type=" + type);
    }

    [Fact]
    public async Task Songs_carry_the_OpenSubsonic_fields()
    {
        var song = (await ValidAsync("getSong", "id=" + await fx.TrackIdAsync("Svefn-g-englar"))).GetProperty("song");
        Assert.Equal("Svefn-g-englar", song.GetProperty("title").GetString());
        Assert.Equal("Sigur Rós", song.GetProperty("displayArtist").GetString());
        Assert.Equal("Sigur Rós", song.GetProperty("artists")[0].GetProperty("name").GetString());
        Assert.Equal("Sigur Rós", song.GetProperty("albumArtists")[0].GetProperty("name").GetString());
        Assert.Equal(["Post-Rock", "Ambient"], song.GetProperty("genres").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        Assert.Equal("Post-Rock", song.GetProperty("genre").GetString());
        Assert.Equal("11111111-1111-1111-1111-111111111111", song.GetProperty("musicBrainzId").GetString());
        Assert.Equal(-6.5, song.GetProperty("replayGain").GetProperty("trackGain").GetDouble());
        Assert.Equal(0.999, song.GetProperty("replayGain").GetProperty("albumPeak").GetDouble());
        Assert.Equal("song", song.GetProperty("mediaType").GetString());
        Assert.Equal("flac", song.GetProperty("suffix").GetString());
        Assert.Equal("audio/flac", song.GetProperty("contentType").GetString());
        Assert.Equal(2, song.GetProperty("channelCount").GetInt32());
        Assert.Equal(44100, song.GetProperty("samplingRate").GetInt32());
        Assert.Equal(16, song.GetProperty("bitDepth").GetInt32());
        Assert.Equal(1, song.GetProperty("track").GetInt32());
        Assert.Equal(1999, song.GetProperty("year").GetInt32());
        Assert.Equal(Path.Combine("Sigur Rós", "Ágætis byrjun", "01 - Svefn-g-englar.flac"), song.GetProperty("path").GetString());
        Assert.True(song.GetProperty("size").GetInt64() > 0);
        Assert.Equal(0, song.GetProperty("playCount").GetInt64());

        var crazy = (await ValidAsync("getSong", "id=" + await fx.TrackIdAsync("Crazy in Love"))).GetProperty("song");
        Assert.Equal(99, crazy.GetProperty("bpm").GetInt32());
        Assert.Equal("USSM10302721", crazy.GetProperty("isrc")[0].GetString());
        Assert.StartsWith("al-", crazy.GetProperty("coverArt").GetString());

        var duet = (await ValidAsync("getSong", "id=" + await fx.TrackIdAsync("Duet"))).GetProperty("song");
        Assert.Equal(["Alpha", "Beta"], duet.GetProperty("artists").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.Equal("Various Artists", duet.GetProperty("displayAlbumArtist").GetString());
        var composer = duet.GetProperty("contributors")[0];
        Assert.Equal("composer", composer.GetProperty("role").GetString());
        Assert.Equal("Gamma", composer.GetProperty("artist").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Albums_carry_disc_titles_dates_and_compilation_flags()
    {
        var album = (await ValidAsync("getAlbum", "id=" + await fx.AlbumIdAsync("Ágætis byrjun"))).GetProperty("album");
        Assert.Equal(2, album.GetProperty("songCount").GetInt32());
        Assert.Equal(2, album.GetProperty("song").GetArrayLength());
        Assert.Equal("Part One", album.GetProperty("discTitles")[0].GetProperty("title").GetString());
        Assert.Equal(1999, album.GetProperty("originalReleaseDate").GetProperty("year").GetInt32());
        Assert.Equal(6, album.GetProperty("originalReleaseDate").GetProperty("month").GetInt32());
        Assert.Equal("22222222-2222-2222-2222-222222222222", album.GetProperty("musicBrainzId").GetString());
        Assert.False(album.GetProperty("isCompilation").GetBoolean());
        var comp = (await ValidAsync("getAlbum", "id=" + await fx.AlbumIdAsync("Summer Hits"))).GetProperty("album");
        Assert.True(comp.GetProperty("isCompilation").GetBoolean());
        Assert.Equal(["Compilation"], comp.GetProperty("releaseTypes").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Artists_are_indexed_by_letter_and_list_their_albums()
    {
        var index = (await ValidAsync("getArtists")).GetProperty("artists").GetProperty("index").EnumerateArray()
            .ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("artist").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList());
        Assert.Contains("Beyoncé", index["B"]);
        Assert.Contains("Sigur Rós", index["S"]);
        Assert.Contains("東京事変", index["東"]);
        var artist = (await ValidAsync("getArtist", "id=" + await fx.ArtistIdAsync("Beyoncé"))).GetProperty("artist");
        Assert.Equal(1, artist.GetProperty("albumCount").GetInt32());
        Assert.Equal("Dangerously in Love", artist.GetProperty("album")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Folder_browsing_walks_the_real_folders()
    {
        var indexes = (await ValidAsync("getIndexes")).GetProperty("indexes");
        var folders = indexes.GetProperty("index").EnumerateArray().SelectMany(i => i.GetProperty("artist").EnumerateArray()).ToList();
        Assert.Equal(["Beyoncé", "Compilations", "Sigur Rós", "東京事変"], folders.Select(f => f.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("Loose Track", indexes.GetProperty("child")[0].GetProperty("title").GetString());
        var sigur = folders.Single(f => f.GetProperty("name").GetString() == "Sigur Rós").GetProperty("id").GetString();
        var dir = (await ValidAsync("getMusicDirectory", "id=" + sigur)).GetProperty("directory");
        var album = dir.GetProperty("child")[0];
        Assert.True(album.GetProperty("isDir").GetBoolean());
        Assert.Equal("Ágætis byrjun", album.GetProperty("title").GetString());
        var songs = (await ValidAsync("getMusicDirectory", "id=" + album.GetProperty("id").GetString())).GetProperty("directory");
        Assert.Equal(sigur, songs.GetProperty("parent").GetString());
        Assert.Equal(["Svefn-g-englar", "Starálfur"], songs.GetProperty("child").EnumerateArray().Select(c => c.GetProperty("title").GetString()));
        Assert.All(songs.GetProperty("child").EnumerateArray(), c => Assert.False(c.GetProperty("isDir").GetBoolean()));
    }

    [Fact]
    public void The_xml_json_comparison_catches_a_difference()
    {
        var json = JsonDocument.Parse("""{"a":{"b":1,"c":[{"d":"x"}],"g":{"value":"t"}}}""").RootElement;
        Assert.Empty(XmlMatchesJson.Differences(json, System.Xml.Linq.XElement.Parse("<r><a b=\"1\"><c d=\"x\"/><g>t</g></a></r>")));
        Assert.Single(XmlMatchesJson.Differences(json, System.Xml.Linq.XElement.Parse("<r><a b=\"1\"><c d=\"y\"/><g>t</g></a></r>")));
        Assert.Single(XmlMatchesJson.Differences(json, System.Xml.Linq.XElement.Parse("<r><a b=\"1\" e=\"2\"><c d=\"x\"/><g>t</g></a></r>")));
        Assert.Single(XmlMatchesJson.Differences(json, System.Xml.Linq.XElement.Parse("<r><a b=\"1\"><c d=\"x\"/><c d=\"x\"/><g>t</g></a></r>")));
    }

    [Fact]
    public async Task Indexes_answer_empty_when_unchanged_and_artists_follow_the_music_folder()
    {
        var indexes = (await ValidAsync("getIndexes")).GetProperty("indexes");
        var lastModified = indexes.GetProperty("lastModified").GetInt64();
        Assert.True(lastModified > 0);
        var unchanged = (await ValidAsync("getIndexes", $"ifModifiedSince={lastModified}")).GetProperty("indexes");
        Assert.Equal(0, unchanged.GetProperty("index").GetArrayLength());
        Assert.NotEqual(0, (await ValidAsync("getIndexes", $"ifModifiedSince={lastModified - 1}")).GetProperty("indexes").GetProperty("index").GetArrayLength());

        var folder = (await ValidAsync("getMusicFolders")).GetProperty("musicFolders").GetProperty("musicFolder")[0].GetProperty("id").GetInt64();
        Assert.NotEqual(0, (await ValidAsync("getArtists", $"musicFolderId={folder}")).GetProperty("artists").GetProperty("index").GetArrayLength());
    }

    [Theory]
    [InlineData("getArtists", "")]
    [InlineData("getAlbumList2", "type=alphabeticalByName")]
    [InlineData("search3", "query=")]
    public async Task The_only_music_folder_filters_nothing(string endpoint, string query)
    {
        var folder = (await ValidAsync("getMusicFolders")).GetProperty("musicFolders").GetProperty("musicFolder").EnumerateArray().Single().GetProperty("id").GetInt64();
        using var all = await fx.GetAsync(endpoint, query);
        using var filtered = await fx.GetAsync(endpoint, $"{query}&musicFolderId={folder}");
        Assert.Equal(await all.Content.ReadAsStringAsync(), await filtered.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("getArtists", "")]
    [InlineData("getIndexes", "")]
    [InlineData("getAlbumList2", "type=newest")]
    [InlineData("getAlbumList", "type=random")]
    [InlineData("search3", "query=")]
    [InlineData("search2", "query=love")]
    [InlineData("getRandomSongs", "")]
    [InlineData("getSongsByGenre", "genre=Pop")]
    public async Task A_music_folder_id_of_no_music_folder_is_not_found(string endpoint, string query)
    {
        Assert.Equal(70, await fx.ErrorAsync(endpoint, $"{query}&musicFolderId=999"));
        Assert.Equal(70, await fx.ErrorAsync(endpoint, $"{query}&musicFolderId=-1"));
    }

    [Theory]
    [InlineData("ping")]
    [InlineData("getGenres")]
    public async Task Endpoints_that_filter_by_no_music_folder_ignore_its_id(string endpoint) =>
        await fx.OkAsync(endpoint, "musicFolderId=999");

    [Theory]
    [InlineData("beyonce crazy", "Crazy in Love")]
    [InlineData("BEYONCÉ", "Crazy in Love")]
    [InlineData("sigur ros", "Svefn-g-englar")]
    [InlineData("staralf", "Starálfur")]
    [InlineData("林檎", "林檎の唄")]
    [InlineData("naugh", "Naughty Girl")]
    public async Task Search_is_case_and_accent_insensitive_and_matches_word_prefixes(string query, string title)
    {
        var r = await ValidAsync("search3", "query=" + Uri.EscapeDataString(query));
        var songs = r.GetProperty("searchResult3").GetProperty("song").EnumerateArray().Select(s => s.GetProperty("title").GetString()).ToList();
        Assert.Contains(title, songs);
        await ValidAsync("search2", "query=" + Uri.EscapeDataString(query));
    }

    [Fact]
    public async Task Search_ranks_title_matches_before_artist_and_album_matches()
    {
        var r = await ValidAsync("search3", "query=love");
        var songs = r.GetProperty("searchResult3").GetProperty("song").EnumerateArray().Select(s => s.GetProperty("title").GetString()).ToList();
        Assert.Equal("Crazy in Love", songs[0]); // title match; "Naughty Girl" only matches by its album
        Assert.Contains("Naughty Girl", songs);
        var albums = r.GetProperty("searchResult3").GetProperty("album").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["Dangerously in Love"], albums);
    }

    [Theory]
    [InlineData("")]
    [InlineData("%22%22")]
    public async Task An_empty_search_lists_everything_in_stable_pages(string query)
    {
        var all = new List<string>();
        for (var offset = 0; ; offset += 2)
        {
            var r = await ValidAsync("search3", $"query={query}&songCount=2&songOffset={offset}&artistCount=0&albumCount=0");
            var page = r.GetProperty("searchResult3").GetProperty("song").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
            all.AddRange(page);
            if (page.Count < 2) break;
        }
        Assert.Equal(7, all.Count);
        Assert.Equal(7, all.Distinct().Count());
        var everything = await ValidAsync("search3", $"query={query}");
        Assert.Equal(5, everything.GetProperty("searchResult3").GetProperty("album").GetArrayLength());
    }

    [Fact]
    public async Task Lyrics_come_synced_from_LRC_and_plain_otherwise()
    {
        var synced = (await ValidAsync("getLyricsBySongId", "id=" + await fx.TrackIdAsync("Crazy in Love"))).GetProperty("lyricsList").GetProperty("structuredLyrics")[0];
        Assert.True(synced.GetProperty("synced").GetBoolean());
        var lines = synced.GetProperty("line").EnumerateArray().ToList();
        Assert.Equal([1000, 2500], lines.Select(l => l.GetProperty("start").GetInt64()));
        Assert.Equal("Crazy right now", lines[1].GetProperty("value").GetString());
        var plain = (await ValidAsync("getLyricsBySongId", "id=" + await fx.TrackIdAsync("Starálfur"))).GetProperty("lyricsList").GetProperty("structuredLyrics")[0];
        Assert.False(plain.GetProperty("synced").GetBoolean());
        Assert.Equal(["First line", "Second line"], plain.GetProperty("line").EnumerateArray().Select(l => l.GetProperty("value").GetString()));
        Assert.False(plain.GetProperty("line")[0].TryGetProperty("start", out _));
        var none = (await ValidAsync("getLyricsBySongId", "id=" + await fx.TrackIdAsync("Duet"))).GetProperty("lyricsList");
        Assert.Equal(0, none.GetProperty("structuredLyrics").GetArrayLength());
        var old = (await ValidAsync("getLyrics", "artist=sigur%20r%C3%B3s&title=Star%C3%A1lfur")).GetProperty("lyrics");
        Assert.Equal("First line\nSecond line", old.GetProperty("value").GetString());
        var xml = await fx.XmlAsync("getLyrics", "artist=Sigur%20R%C3%B3s&title=Star%C3%A1lfur");
        Assert.Equal("First line\nSecond line", xml.Elements().Single().Value);
    }

    [Fact]
    public async Task Genres_count_songs_and_albums()
    {
        var genres = (await ValidAsync("getGenres")).GetProperty("genres").GetProperty("genre").EnumerateArray()
            .ToDictionary(g => g.GetProperty("value").GetString()!, g => (g.GetProperty("songCount").GetInt32(), g.GetProperty("albumCount").GetInt32()));
        Assert.Equal((2, 1), genres["Post-Rock"]);
        Assert.Equal((2, 1), genres["R&B"]);
        var xml = await fx.XmlAsync("getGenres");
        Assert.Contains(xml.Descendants().Where(e => e.Name.LocalName == "genre"), e => e.Value == "R&B" && e.Attribute("songCount")?.Value == "2");
    }

    [Fact]
    public async Task Similar_and_top_songs_come_from_the_same_artist_and_genre()
    {
        var similar = (await ValidAsync("getSimilarSongs2", "id=" + await fx.ArtistIdAsync("Sigur Rós"))).GetProperty("similarSongs2").GetProperty("song");
        // An artist's mix holds the artist's own songs (no other Post-Rock or Ambient artist here); a song's mix never the song itself.
        Assert.Equal(["Starálfur", "Svefn-g-englar"], similar.EnumerateArray().Select(s => s.GetProperty("title").GetString()).Order(StringComparer.Ordinal));
        var fromSong = (await ValidAsync("getSimilarSongs", "id=" + await fx.TrackIdAsync("Svefn-g-englar"))).GetProperty("similarSongs").GetProperty("song");
        Assert.Equal(["Starálfur"], fromSong.EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        var top = (await ValidAsync("getTopSongs", "artist=beyonc%C3%A9")).GetProperty("topSongs").GetProperty("song");
        Assert.Equal(2, top.GetArrayLength());
    }

    [Fact]
    public async Task Music_folders_and_scan_status_describe_the_library()
    {
        var folders = (await ValidAsync("getMusicFolders")).GetProperty("musicFolders").GetProperty("musicFolder");
        Assert.Equal("music", folders[0].GetProperty("name").GetString());
        var status = (await ValidAsync("getScanStatus")).GetProperty("scanStatus");
        Assert.False(status.GetProperty("scanning").GetBoolean());
        Assert.Equal(7, status.GetProperty("count").GetInt64());
    }
}
