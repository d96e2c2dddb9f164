/**
 * The seed's game: players die and exit; the game, a process manager, hears it and respawns a
 * player who still has lives, and ejects one who has none left or who exited.
 */
import { Actor, LiveActor, type Container, type StoredEvent } from 'omniscient-actors';

export interface PlayerState {
  lives: number;
  alive: boolean;
  ejected: boolean;
}

export class Player extends LiveActor<PlayerState> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { lives: 3, alive: true, ejected: false };
  }

  Die() {
    return this.Fire('player_died', { player: this.id });
  }

  Exit() {
    return this.Fire('player_exited', { player: this.id });
  }

  player_died() {
    this._state.lives -= 1;
    this._state.alive = false;
  }
}

export interface GameState {
  respawns: Record<string, number>;
  ejected: string[];
  deaths: Record<string, number>;
}

/** Any actor kind can run the game; the tests choose. */
export function gameClass(Base: typeof Actor | typeof LiveActor) {
  return class Game extends (Base as typeof Actor)<GameState> {
    constructor(id: string, container: Container) {
      super(id, container);
      this._state = { respawns: {}, ejected: [], deaths: {} };
      this.ListenFor('player_died', (event) => this.onDied(event as StoredEvent<string, { player: string }>));
      this.ListenFor('player_exited', (event) =>
        this.Fire('player_ejected', { player: (event.data as { player: string }).player, reason: 'exited' }),
      );
    }

    onDied(event: StoredEvent<string, { player: string }>) {
      const { player } = event.data;
      const deaths = (this._state.deaths[player] ?? 0) + 1;
      if (deaths >= 3) return this.Fire('player_ejected', { player, reason: 'no lives left' });
      return this.Fire('player_respawned', { player, deaths });
    }

    player_respawned(data: { player: string; deaths: number }) {
      this._state.respawns[data.player] = (this._state.respawns[data.player] ?? 0) + 1;
      this._state.deaths[data.player] = data.deaths;
    }

    player_ejected(data: { player: string }) {
      this._state.ejected.push(data.player);
      this._state.deaths[data.player] = (this._state.deaths[data.player] ?? 0) + 1;
    }
  };
}
