"""Entry point for ``python -m bot``; keeps imports minimal so ``--help`` stays fast."""

from bot.cli import main

if __name__ == "__main__":
    main()
