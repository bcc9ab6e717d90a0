using Dapper;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Data;

/// <summary>
/// One database connection at a time per request (<see cref="Database.RefuseSecondConnection"/>,
/// which the test suite turns on for every server it starts), and pooled PostgreSQL connections
/// that carry nothing from one request to the next although they are not reset.
/// </summary>
public sealed class ConnectionUseTests : IAsyncDisposable
{
    private readonly TestLibrary _lib = new();

    [Fact]
    public async Task A_request_may_open_connections_one_after_another_but_not_a_second_while_it_holds_one()
    {
        using var db = _lib.Database();
        await db.MigrateAsync(TimeProvider.System);
        using (Database.OneAtATime())
        {
            await using (var first = await db.OpenAsync()) Assert.Equal(1, await first.ExecuteScalarAsync<int>("SELECT 1"));
            await using var second = await db.OpenAsync();
            var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await db.OpenAsync());
            Assert.Contains("already holds a database connection", e.Message);
            // The refused connection went back: the held one still works, and after it closes another may open.
            Assert.Equal(2, await second.ExecuteScalarAsync<int>("SELECT 2"));
        }
        // Outside a request (the scanner, background work) nothing is counted.
        await using var a = await db.OpenAsync();
        await using var b = await db.OpenAsync();
        Assert.Equal(3, await b.ExecuteScalarAsync<int>("SELECT 3"));
    }

    [PostgresFact] // SQLite has no session locks; OpenOwnSessionAsync is an ordinary connection there
    public async Task A_session_lock_taken_on_a_session_of_its_own_is_gone_when_that_session_closes()
    {
        using var db = _lib.Database();
        await db.MigrateAsync(TimeProvider.System);
        await using (var own = await db.OpenOwnSessionAsync())
            Assert.True(await own.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(4242)"));
        // Pooled connections are not reset when given back: had the lock been taken on one, a pooled
        // connection would still hold it. Another session can take it at once (after the backend exits).
        await using var other = await db.OpenOwnSessionAsync();
        var taken = false;
        for (var i = 0; i < 100 && !taken; i++)
        {
            taken = await other.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(4242)");
            if (!taken) await Task.Delay(20);
        }
        Assert.True(taken);
    }

    [Fact]
    public async Task A_transaction_left_open_on_a_pooled_connection_is_rolled_back_when_it_is_given_back()
    {
        using var db = _lib.Database();
        await db.MigrateAsync(TimeProvider.System);
        await using (var c = await db.OpenAsync())
        {
            var tx = await c.BeginTransactionAsync();
            await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('Left open')", transaction: tx);
            // Neither committed nor disposed: closing the connection must not leave it pending.
        }
        await using var again = await db.OpenAsync();
        Assert.Equal(0, await again.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM genres WHERE name = 'Left open'"));
        await again.ExecuteAsync("INSERT INTO genres (name) VALUES ('Committed')");
        Assert.Equal(1, await again.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM genres WHERE name = 'Committed'"));
    }

    public async ValueTask DisposeAsync() => await _lib.DisposeAsync();
}
