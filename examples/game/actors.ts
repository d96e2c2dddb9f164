/**
 * The game: players die and exit; the game, a process manager, listens for both and respawns a
 * player who has lives left, ejecting one who died three times or exited.
 */
import { Actor, type Container, type StoredEvent } from 'omniscient-actors';

export class Player extends Actor<{ deaths: number }> {
  protected override _state = { deaths: 0 };
  Die() {
    return this.Fire('player_died', { player: this.id });
  }
  Exit() {
    return this.Fire('player_exited', { player: this.id });
  }
  player_died() {
    this._state.deaths++;
  }
}

interface GameState {
  deaths: Record<string, number>;
  ejected: string[];
}

export class Game extends Actor<GameState> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { deaths: {}, ejected: [] };
    this.ListenFor('player_died', (event) => this.#onDied(event as StoredEvent<string, { player: string }>));
    this.ListenFor('player_exited', (event) => {
      const { player } = event.data as { player: string };
      if (!this._state.ejected.includes(player))
        return this.Fire('player_ejected', { player, reason: 'exited' });
      return undefined;
    });
  }

  #onDied(event: StoredEvent<string, { player: string }>) {
    const { player } = event.data;
    if (this._state.ejected.includes(player)) return undefined;
    const deaths = (this._state.deaths[player] ?? 0) + 1;
    if (deaths >= 3) return this.Fire('player_ejected', { player, reason: 'no lives left' });
    return this.Fire('player_respawned', { player, deaths });
  }

  player_respawned(data: { player: string; deaths: number }) {
    this._state.deaths[data.player] = data.deaths;
  }

  player_ejected(data: { player: string }) {
    this._state.ejected.push(data.player);
  }
}
