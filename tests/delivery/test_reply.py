from gateway.delivery.reply import Reply, auth_is_temporary


def test_authentication_trouble_is_retried_not_bounced() -> None:
    for reply in (
        Reply(530, "5.7.0 Authentication required"),
        Reply(535, "5.7.8 Authentication credentials invalid"),
        Reply(550, "5.7.8 credentials invalid"),
        Reply(554, "5.7.9 mechanism too weak"),
        Reply(550, "5.7.0 SMTP AUTH needed first"),
    ):
        softened = auth_is_temporary(reply)
        assert softened.status == "deferred", reply
        assert str(reply) in softened.text


def test_other_replies_are_kept() -> None:
    for reply in (
        Reply(554, "5.7.1 Relay access denied"),
        Reply(550, "5.7.0 rejected by policy"),
        Reply(550, "5.1.1 no such user"),
        Reply(250, "2.0.0 OK"),
        Reply(451, "4.7.0 try later"),
    ):
        assert auth_is_temporary(reply) is reply
