"""Publishing (登載/發布/上架) to the national portal: the outbox, the portal adapter, catalogue CSV."""
