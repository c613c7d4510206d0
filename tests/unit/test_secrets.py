from halotap.domain.parties import Client, find_client, hash_api_key, token_matches


def client(client_id, *keys, merchants=("m1",)):
    return Client.parse(
        client_id, {"keyHashes": [hash_api_key(k) for k in keys], "merchants": list(merchants)}
    )


def test_any_of_a_clients_keys_authenticates_it_during_rotation():
    clients = [client("a", "old-key", "new-key"), client("b", "b-key")]
    assert find_client("old-key", clients).client_id == "a"
    assert find_client("new-key", clients).client_id == "a"
    assert find_client("b-key", clients).client_id == "b"
    assert find_client("nope", clients) is None


def test_a_star_allows_every_merchant():
    assert Client.parse("a", {"keyHashes": [], "merchants": "*"}).merchants is None
    assert Client.parse("a", {"keyHashes": [], "merchants": ["m1"]}).merchants == frozenset({"m1"})


def test_secrets_never_show_in_a_repr():
    record = Client.parse("a", {"keyHashes": ["abc123"], "signingSecrets": ["whsec_xyz"]})
    assert "abc123" not in repr(record)
    assert "whsec_xyz" not in repr(record)


def test_webhook_tokens_match_any_valid_token():
    assert token_matches("new", ["old", "new"])
    assert not token_matches("nope", ["old", "new"])
    assert not token_matches("", [])
