using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Scrobbling;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Scrobbling;

/// <summary>
/// Scrobbling end to end: the real server, real audio, and <see cref="FakeScrobbleServices"/> speaking
/// ListenBrainz's and Last.fm's protocols on loopback. Every test builds its own library, server and fake.
/// </summary>
public sealed class ScrobblingTests
{
    private const string Password = "s3cret-pass";

    private sealed class Setup : IAsyncDisposable
    {
        public TestLibrary Library { get; } = new();
        public FakeScrobbleServices Fake { get; private set; } = null!;
        public SillonServer Server { get; set; } = null!;
        public HttpClient Api { get; private set; } = null!;
        public long LongTrack, ShortTrack;

        public static async Task<Setup> StartAsync(bool lastFm = false)
        {
            var s = new Setup();
            await s.Library.AddAsync("Artist/Album/01 - Long Song.mp3", "mp3", new TagSet
            {
                Title = "Long Song", Artists = ["The Artist"], AlbumArtists = ["The Artist"], Album = "The Album", Track = 1,
                MbTrackId = "33333333-3333-3333-3333-333333333333",
            }, seconds: 31);
            await s.Library.AddAsync("Artist/Album/02 - Short.mp3", "mp3", new TagSet { Title = "Short", Artists = ["The Artist"], Album = "The Album", Track = 2 }, seconds: 5);
            s.Fake = await FakeScrobbleServices.StartAsync();
            await s.StartServerAsync(lastFm);
            s.LongTrack = await Sql.ScalarAsync<long>(s.Library.Data, "SELECT id FROM tracks WHERE title = 'Long Song'");
            s.ShortTrack = await Sql.ScalarAsync<long>(s.Library.Data, "SELECT id FROM tracks WHERE title = 'Short'");
            return s;
        }

        public async Task StartServerAsync(bool lastFm, bool createUser = true)
        {
            Server = await SillonServer.StartAsync(Library, Fake.Settings(lastFm));
            await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
            Api?.Dispose();
            Api = createUser ? await Server.LoginAsync("alice", Password) : await LoginAsync();
        }

        private async Task<HttpClient> LoginAsync()
        {
            using var anonymous = Server.Client();
            var login = await (await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "alice", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
            return Server.Client(login.GetProperty("token").GetString());
        }

        public async Task StopServerAsync() => await Server.DisposeAsync();

        public async Task LinkListenBrainzAsync()
        {
            var response = await Api.PutAsJsonAsync("/api/v1/me/scrobbling/listenbrainz", new { token = Fake.ListenBrainzToken });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        public async Task<JsonElement> ScrobbleAsync(long trackId, bool submission = true, long? timeMs = null)
        {
            var query = $"u=alice&p={Password}&v=1.16.1&c=tests&f=json&id=tr-{trackId}&submission={(submission ? "true" : "false")}"
                + (timeMs is { } t ? $"&time={t}" : "");
            var body = await (await Server.Client().GetAsync($"/rest/scrobble?{query}")).Content.ReadFromJsonAsync<JsonElement>();
            var r = body.GetProperty("subsonic-response");
            Assert.True(r.GetProperty("status").GetString() == "ok", r.ToString());
            return r;
        }

        public Task<List<(string State, long Attempts, string? Error)>> OutboxAsync() =>
            Sql.QueryAsync<(string, long, string?)>(Library.Data, "SELECT state, attempts, last_error FROM scrobble_outbox ORDER BY id");

        public async ValueTask DisposeAsync()
        {
            Api?.Dispose();
            await Server.DisposeAsync();
            await Fake.DisposeAsync();
            await Library.DisposeAsync();
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"timed out waiting for: {what}");
    }

    [Fact]
    public async Task Scrobble_reaches_ListenBrainz_with_the_documented_json()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        var at = DateTimeOffset.Parse("2026-11-20T18:30:15.250Z");
        await s.ScrobbleAsync(s.LongTrack, timeMs: at.ToUnixTimeMilliseconds());

        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("sent", _, _)], "the listen is marked sent");
        var listen = Assert.Single(s.Fake.Listens);
        Assert.Equal(at.ToUnixTimeSeconds(), listen.GetProperty("listened_at").GetInt64());
        var m = listen.GetProperty("track_metadata");
        Assert.Equal("The Artist", m.GetProperty("artist_name").GetString());
        Assert.Equal("Long Song", m.GetProperty("track_name").GetString());
        Assert.Equal("The Album", m.GetProperty("release_name").GetString());
        var info = m.GetProperty("additional_info");
        Assert.InRange(info.GetProperty("duration_ms").GetInt64(), 30_500, 31_500);
        Assert.Equal(1, info.GetProperty("tracknumber").GetInt32());
        Assert.Equal("33333333-3333-3333-3333-333333333333", info.GetProperty("recording_mbid").GetString());
        Assert.Equal("Sillon", info.GetProperty("submission_client").GetString());
        Assert.Empty(s.Fake.Violations);

        var status = await s.Api.GetFromJsonAsync<JsonElement>("/api/v1/me/scrobbling");
        Assert.True(status.GetProperty("listenBrainz").GetProperty("linked").GetBoolean());
        Assert.Equal("lb-user", status.GetProperty("listenBrainz").GetProperty("user").GetString());
        Assert.Equal(1, status.GetProperty("sent").GetInt64());
        Assert.Equal(0, status.GetProperty("queued").GetInt64());
    }

    [Fact]
    public async Task Tracks_under_30_seconds_are_recorded_as_plays_but_not_scrobbled()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        await s.ScrobbleAsync(s.ShortTrack);
        Assert.Equal(1, await Sql.ScalarAsync<long>(s.Library.Data, "SELECT COUNT(*) FROM play_events WHERE track_id = @id", new { id = s.ShortTrack }));
        Assert.Empty(await s.OutboxAsync());
    }

    [Fact]
    public async Task A_ListenBrainz_token_the_service_refuses_is_not_linked()
    {
        await using var s = await Setup.StartAsync();
        var response = await s.Api.PutAsJsonAsync("/api/v1/me/scrobbling/listenbrainz", new { token = "not-a-valid-token" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await s.Api.PutAsJsonAsync("/api/v1/me/scrobbling/listenbrainz", new { token = "" })).StatusCode);
        var status = await s.Api.GetFromJsonAsync<JsonElement>("/api/v1/me/scrobbling");
        Assert.False(status.GetProperty("listenBrainz").GetProperty("linked").GetBoolean());
        // Credentials are stored encrypted, never as given.
        await s.LinkListenBrainzAsync();
        var stored = await Sql.ScalarAsync<string>(s.Library.Data, "SELECT credential_enc FROM scrobble_accounts");
        Assert.DoesNotContain(s.Fake.ListenBrainzToken, stored);
    }

    [Fact]
    public async Task Service_down_is_retried_with_back_off_and_the_listen_delivered_once()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        s.Fake.FailNext(2, 503);
        await s.ScrobbleAsync(s.LongTrack);
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("sent", _, _)], "the listen is delivered after the service comes back");
        var row = Assert.Single(await s.OutboxAsync());
        Assert.Equal(3, row.Attempts);
        Assert.Single(s.Fake.Listens);

        // 429 with Retry-After: waits at least that long, then delivers.
        s.Fake.FailNext(1, 429, retryAfter: "2");
        var started = DateTime.UtcNow;
        await s.ScrobbleAsync(s.LongTrack);
        await EventuallyAsync(async () => (await s.OutboxAsync()).Count(r => r.State == "sent") == 2, "the rate-limited listen is delivered");
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), "Retry-After was not honoured");

        // Nothing is sent again later.
        await Task.Delay(1500);
        Assert.Equal(2, s.Fake.Listens.Count);
        Assert.Empty(s.Fake.Violations);
    }

    [Fact]
    public async Task Pending_listens_are_delivered_after_a_server_restart()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        s.Fake.FailNext(int.MaxValue / 2, 502);
        await s.ScrobbleAsync(s.LongTrack, timeMs: 1_790_000_000_000);
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("pending", >= 1, _)], "a failed attempt");
        await s.StopServerAsync();
        Assert.Empty(s.Fake.Listens);

        s.Fake.FailNext(0);
        await s.StartServerAsync(lastFm: false, createUser: false);
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("sent", _, _)], "delivery by the restarted server");
        var listen = Assert.Single(s.Fake.Listens);
        Assert.Equal(1_790_000_000, listen.GetProperty("listened_at").GetInt64());
    }

    [Fact]
    public async Task A_revoked_token_is_given_up_with_the_reason_visible()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        s.Fake.ListenBrainzToken = "rotated-on-the-service";
        await s.ScrobbleAsync(s.LongTrack);
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("failed", _, _)], "the listen is given up");
        var row = Assert.Single(await s.OutboxAsync());
        Assert.Equal(1, row.Attempts);
        Assert.Contains("401", row.Error);
        Assert.Contains("Invalid authorization token", row.Error);
        var status = await s.Api.GetFromJsonAsync<JsonElement>("/api/v1/me/scrobbling");
        var failed = Assert.Single(status.GetProperty("failed").EnumerateArray());
        Assert.Equal("listenbrainz", failed.GetProperty("service").GetString());
        Assert.Equal("Long Song", failed.GetProperty("title").GetString());
        Assert.Contains("Invalid authorization token", failed.GetProperty("error").GetString());
        await Task.Delay(1000);
        Assert.Equal(1, (await s.OutboxAsync())[0].Attempts);

        // Finished rows are forgotten after a while, never before.
        var outbox = s.Server.Services.GetRequiredService<ScrobbleOutbox>();
        Assert.Equal(0, await outbox.PruneAsync(TimeSpan.FromDays(30), default));
        await Task.Delay(10);
        Assert.Equal(1, await outbox.PruneAsync(TimeSpan.Zero, default));
        Assert.Empty(await s.OutboxAsync());
    }

    [Fact]
    public async Task Now_playing_is_sent_best_effort_and_never_queued()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        await s.ScrobbleAsync(s.LongTrack, submission: false);
        await EventuallyAsync(() => Task.FromResult(!s.Fake.NowPlaying.IsEmpty), "the playing_now notice");
        var notice = Assert.Single(s.Fake.NowPlaying);
        Assert.False(notice.TryGetProperty("listened_at", out _));
        Assert.Equal("Long Song", notice.GetProperty("track_metadata").GetProperty("track_name").GetString());
        Assert.Empty(await s.OutboxAsync());

        // While the service is down, a notice is lost, not kept for later.
        s.Fake.FailNext(1, 503);
        await s.ScrobbleAsync(s.LongTrack, submission: false);
        await EventuallyAsync(() => Task.FromResult(s.Fake.Requests >= 2), "the second notice is tried");
        await Task.Delay(1000);
        Assert.Single(s.Fake.NowPlaying);
        Assert.Empty(await s.OutboxAsync());
    }

    [Fact]
    public async Task Last_fm_desktop_flow_links_the_account_and_calls_are_signed()
    {
        await using var s = await Setup.StartAsync(lastFm: true);
        var start = await (await s.Api.PostAsync("/api/v1/me/scrobbling/lastfm/start", null)).Content.ReadFromJsonAsync<JsonElement>();
        var url = new Uri(start.GetProperty("authorizeUrl").GetString()!);
        Assert.Contains($"api_key={FakeScrobbleServices.LastFmKey}", url.Query);
        Assert.Contains("token=fake-token-1", url.Query);

        var early = await s.Api.PostAsync("/api/v1/me/scrobbling/lastfm/finish", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("not been authorised", await early.Content.ReadAsStringAsync());

        s.Fake.LastFmAuthorised = true;
        var finish = await s.Api.PostAsync("/api/v1/me/scrobbling/lastfm/finish", null);
        Assert.Equal(HttpStatusCode.OK, finish.StatusCode);
        var status = await s.Api.GetFromJsonAsync<JsonElement>("/api/v1/me/scrobbling");
        Assert.True(status.GetProperty("lastFm").GetProperty("linked").GetBoolean());
        Assert.Equal("lfm-user", status.GetProperty("lastFm").GetProperty("user").GetString());

        await s.ScrobbleAsync(s.LongTrack, submission: false);
        await s.ScrobbleAsync(s.LongTrack, timeMs: 1_790_000_123_456);
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("sent", _, _)], "the scrobble is sent");
        await EventuallyAsync(() => Task.FromResult(s.Fake.LastFmCalls.Any(c => c["method"] == "track.updateNowPlaying")), "now playing");
        Assert.Empty(s.Fake.Violations); // every call carried a valid api_sig, api_key and format

        var scrobble = Assert.Single(s.Fake.LastFmCalls, c => c["method"] == "track.scrobble");
        Assert.Equal("1790000123", scrobble["timestamp"]);
        Assert.Equal("The Artist", scrobble["artist"]);
        Assert.Equal("Long Song", scrobble["track"]);
        Assert.Equal("The Album", scrobble["album"]);
        Assert.Equal("31", scrobble["duration"]);
        Assert.Equal(FakeScrobbleServices.LastFmSession, scrobble["sk"]);
        // The signature, recomputed by hand from the documented recipe.
        var recipe = string.Concat(scrobble.Where(kv => kv.Key is not ("format" or "api_sig")).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + kv.Value))
            + FakeScrobbleServices.LastFmSecret;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(recipe))), scrobble["api_sig"]);
    }

    [Fact]
    public void Last_fm_signature_follows_the_documented_example()
    {
        // last.fm/api/authspec, section 8: api_keyxxxxxxxxmethodauth.getSessiontokenyyyyyy + secret, md5; format is not signed.
        var sig = LastFmClient.Sign([new("token", "yyyyyy"), new("method", "auth.getSession"), new("api_key", "xxxxxxxx"), new("format", "json")], "ilovecher");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("api_keyxxxxxxxxmethodauth.getSessiontokenyyyyyyilovecher"u8)), sig);
    }

    [Fact]
    public async Task Two_senders_never_claim_the_same_listen()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        s.Fake.FailNext(int.MaxValue / 2, 503);
        var userId = await Sql.ScalarAsync<long>(s.Library.Data, "SELECT id FROM users WHERE name = 'alice'");
        await using (var c = await s.Library.Database().OpenAsync())
        {
            await using var tx = await c.BeginTransactionAsync();
            var outbox = s.Server.Services.GetRequiredService<ScrobbleOutbox>();
            for (var i = 0; i < 400; i++) await outbox.EnqueueAsync(c, tx, userId, s.LongTrack, DateTimeOffset.FromUnixTimeSeconds(1_790_000_000 + i), null, default);
            await tx.CommitAsync();
        }
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            s.Server.Services.GetRequiredService<ScrobbleOutbox>().ClaimAsync(100, default))));
        var ids = claims.SelectMany(c => c.Listens.Select(l => l.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_claim_left_by_a_dead_sender_is_taken_over_once_its_lease_runs_out()
    {
        await using var s = await Setup.StartAsync();
        await s.LinkListenBrainzAsync();
        var userId = await Sql.ScalarAsync<long>(s.Library.Data, "SELECT id FROM users WHERE name = 'alice'");
        var leaseEnds = DateTimeOffset.UtcNow.AddSeconds(3);
        await using (var c = await s.Library.Database().OpenAsync())
        {
            // A sender claimed this listen and died (perhaps after sending it): in the database it is 'sending' until its lease ends.
            await using var tx = await c.BeginTransactionAsync();
            await s.Server.Services.GetRequiredService<ScrobbleOutbox>().EnqueueAsync(c, tx, userId, s.LongTrack, DateTimeOffset.FromUnixTimeSeconds(1_790_000_000), null, default);
            await Dapper.SqlMapper.ExecuteAsync(c, "UPDATE scrobble_outbox SET state = 'sending', claim = 'dead-sender', claimed_until = @until",
                new { until = leaseEnds.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'") }, tx);
            await tx.CommitAsync();
        }
        await Task.Delay(1500);
        Assert.Empty(s.Fake.Listens); // nobody touches a claim before its lease ends
        await EventuallyAsync(async () => (await s.OutboxAsync()) is [("sent", _, _)], "the takeover");
        Assert.True(DateTimeOffset.UtcNow >= leaseEnds, "taken over before the lease ended");
        var listen = Assert.Single(s.Fake.Listens);
        Assert.Equal(1_790_000_000, listen.GetProperty("listened_at").GetInt64()); // the same timestamp, which the service deduplicates
    }

    [Theory]
    [InlineData(29.9, null, false)]
    [InlineData(30, null, true)]
    [InlineData(200, 99_000L, false)]
    [InlineData(200, 100_000L, true)]
    [InlineData(3600, 239_999L, false)]
    [InlineData(3600, 240_000L, true)]
    public void A_play_counts_after_half_the_track_or_four_minutes(double seconds, long? heardMs, bool counts) =>
        Assert.Equal(counts, ScrobbleRules.Counts(seconds, heardMs));
}
