"""`manage.py run_stasis`: the Stasis worker of one Asterisk server."""

from __future__ import annotations

import asyncio
import logging
import signal

from django.core.management.base import BaseCommand

from ccapp.stasis.runner import serve


class Command(BaseCommand):
    help = "Run the ARI Stasis application (IVR, queues, agents) against ARI_URL as ARI_APP."

    def handle(self, *args, **options) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(self._main())

    async def _main(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop=stop)
